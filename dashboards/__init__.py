"""Manager dashboards: an offline static site in English or Chinese.

`data` reads the warehouse (one SQL file per query in `queries/`), `figures` builds plotly figure
dicts, `render` writes the pages as HTML, `site` plans and writes the whole site, `i18n` holds every
label in both languages, `static` the shared CSS and JavaScript.
"""
