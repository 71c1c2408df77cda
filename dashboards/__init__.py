"""Manager dashboards: pure figure builders (`figures`) and the offline static-site renderer (`render`)."""
