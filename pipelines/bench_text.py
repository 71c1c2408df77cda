"""Names and chat lines shared by the benchmark generators (WhatsApp, Telegram), so the large
generated exports read like real mixed Chinese/English groups without each generator keeping its
own copy of the vocabulary."""

GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚"]
FAMILY = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"]
FIRST = ["Ana", "Bob", "Carol", "David", "Emma", "Felix", "Grace", "Hugo", "Iris", "Jake", "Kim", "Liam",
          "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wen", "Yusuf"]
LAST = ["Smith", "Chen", "Garcia", "Müller", "Silva", "Khan", "Nguyen", "Rossi", "Kowalski", "Tanaka"]

ZH = ["好的", "收到", "谢谢大家", "明天几点开会？", "我已经发到群里了", "这个问题我来跟进一下", "周末有活动吗",
       "哈哈哈哈", "辛苦了", "请问这个链接还有效吗", "今天的直播几点开始", "我同意楼上的意见", "已经处理好了",
       "大家注意一下新的群规", "价格能再便宜一点吗", "下午三点在老地方见", "文件我晚点再发", "有人知道怎么退款吗",
       "这个周五截止", "欢迎新朋友👏"]
EN = ["ok", "thanks!", "see you tomorrow", "Can someone share the slides?", "I'll be 10 minutes late",
       "Great job everyone 👍", "Is the meeting still on?", "lol", "sounds good to me", "done ✅",
       "Please check the pinned message", "who is bringing snacks?", "Happy birthday!! 🎂",
       "The link doesn't work for me", "let me check and get back to you", "agreed", "Good morning ☀️",
       "What time does it start?", "I sent the invoice yesterday", "nice"]
TAIL = ["", "", "", "", " 😂", " 🙏", "!", "?", " haha", "。", "～", " :)"]
