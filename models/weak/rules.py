"""Weak-labelling rules for news that no labelled set covers.

Two kinds of rows get their labels here instead of from an annotator:

- international news (NLPCC `world`, TNEWS/Toutiao `news_world`, CCTV
  国际联播快讯): a place, not a topic. The rules below decide the topic;
  a row no rule matches is `politics` (foreign current affairs), the
  fallback whose precision EVALUATION.md reports.
- CCTV 新闻联播 stories (2022-09 .. 2024-12, outside the dev window):
  unlabelled. The rules decide; a story no rule matches is left out.

A rule is a regular expression over the headline (and, for `LEAD_LABELS`,
the first sentence of the body). Every matching rule adds its label, in the
order of RULES, so the first label is the one the most specific rule gave.
Precision and coverage of each label against hand labels:
models/weak/measure.py (its figures are in models/EVALUATION.md).
"""

import re

# label -> regular expressions (Python `re`), tried on the headline.
RULES = [
    ("diplomacy", [
        r"会见|会谈|通电话|致电|贺电|贺信|复信|国事访问|正式访问|访华|出访|"
        r"外交|外长|大使|使馆|领事|建交|断交|双边|多边|联合国|安理会|"
        r"金砖|上合|东盟|峰会|G20|二十国集团|亚太经合|APEC|一带一路|"
        r"中美|中俄|中欧(?!班列)|中日|中非|中阿|中拉|同.{1,12}(总统|总理|首相|国王)|"
        r"(总统|总理|首相|国王).{0,6}(访|会晤)|制裁|谈判|停火协议|和谈|"
        r"关系正常化|领导人.{0,4}会晤|友好合作|战略伙伴|伊核|核协议|无核化|"
        r"退群|盟友|否决票|军售|驱逐.{0,4}外交官|同盟|世界警察",
    ]),
    ("military", [
        r"军队|解放军|军事|军演|演习|演训|导弹|战机|战斗机|航母|舰艇|驱逐舰|"
        r"潜艇|军舰|部队|国防|武器|空袭|轰炸|炮击|交战|战事|战场|冲突.{0,4}(升级|持续)|"
        r"袭击.{0,6}(以军|俄军|乌军|哈马斯|武装)|(以军|俄军|乌军|美军|北约)|"
        r"哈马斯|真主党|胡塞|武装组织|无人机袭击|护航编队|征兵|兵役|核武|"
        r"军方|士兵|阅兵|战争|击落|特种部队|突击队|义务兵|伊斯兰国|"
        r"IS武装|反击|空军|海军|陆军|火箭军|战火",
    ]),
    ("disaster", [
        r"地震|洪水|洪灾|洪涝|泥石流|山洪|滑坡|决堤|溃坝|火灾|大火|起火|山火|"
        r"野火|林火|爆炸|坍塌|垮塌|矿难|事故|抢险|救灾|受灾|灾区|灾害|防汛|"
        r"抗洪|抗旱|旱灾|台风.{0,6}(登陆|致|造成|受灾|灾)|飓风|龙卷风|"
        r"极端天气|海啸|火山|雪崩|脱轨|坠毁|坠机|沉船|翻船|空难|踩踏",
        # Casualties and rescues without a named event are a disaster
        # unless violence caused them (VIOLENCE below).
        r"遇难|罹难|死亡.{0,4}(人|名)|伤亡|失踪|救援",
    ]),
    ("weather", [
        r"台风|暴雨|大雨|降雨|降水|强降雨|暴雪|降雪|寒潮|冷空气|降温|高温|"
        r"气温|天气|气象|预警|热浪|干旱|沙尘|雾霾|大雾|厄尔尼诺|气候|"
        r"节气|立春|立夏|立秋|立冬|冬至|夏至|霜降|大暑|小暑|大寒|小寒",
    ]),
    ("health", [
        r"医院|医疗|医保|医药|药品|疫苗|疫情|新冠|病毒|传染|感染|流感|"
        r"卫生|卫健委|健康|疾病|患者|病例|诊疗|公共卫生|防控|猴痘|霍乱|"
        r"登革热|癌症|肿瘤|食品安全|中医|看病|就医",
    ]),
    ("science", [
        r"科研|科学|研究|实验|发现|航天|太空|空间站|卫星|火箭|探测|"
        r"神舟|天舟|天宫|嫦娥|天问|载人|核聚变|量子|考古|化石|望远镜|"
        r"物种|基因|院士|诺贝尔|南极|北极|科考",
    ]),
    ("technology", [
        r"人工智能|AI|芯片|半导体|5G|6G|互联网|数字经济|数字化|算力|"
        r"大数据|云计算|网络安全|科技|智能|软件|通信|手机|电信|数据",
    ]),
    ("finance", [
        r"经济|GDP|增长|外贸|进出口|贸易|消费|投资|金融|银行|股市|A股|"
        r"证券|基金|债|利率|降息|加息|央行|美联储|通胀|物价|价格|CPI|PPI|"
        r"财政|税|企业|产业|制造业|工业|市场|营收|利润|就业|出口|进口|"
        r"关税|自贸|能源|石油|油价|天然气|电力|物流|基建|高铁|铁路|港口|班列|"
        r"公路|通车|航运|枢纽|"
        r"项目|开工|投产|民营|国企|央企|营商|服务业|零售|电商",
    ]),
    ("agriculture", [
        r"农业|农村|农民|三农|乡村|粮食|秋粮|夏粮|春耕|夏收|秋收|丰收|"
        r"种植|播种|收获|耕地|良田|种业|养殖|畜牧|渔业|果园|小麦|水稻|玉米",
    ]),
    ("sports", [
        r"体育|运动会|亚运|奥运|残奥|冬奥|世锦赛|锦标赛|联赛|世界杯|"
        r"夺冠|金牌|冠军|足球|篮球|排球|乒乓|羽毛球|游泳|田径|马拉松|"
        r"赛事|运动员|大运会",
    ]),
    ("education", [
        r"(?<!主题)教育|学校|高校|大学|中小学|学生|高考|考研|招生|教师|开学|"
        r"毕业生|课堂|职业教育",
    ]),
    ("culture", [
        r"文化|文物|博物馆|遗产|非遗|考古|艺术|文艺|书法|诗词|戏曲|"
        r"图书|阅读|文学|历史|传统|节日|春节|中秋|端午|元宵",
    ]),
    ("travel", [
        r"旅游|游客|景区|文旅|假期|出游|旅客|出行|客流|春运|航线|入境游",
    ]),
    ("entertainment", [
        r"电影|电视剧|综艺|晚会|春晚|票房|演唱会|明星|主持人|歌手|影视",
    ]),
    ("society", [
        r"警方|公安|犯罪|案件|嫌疑人|逮捕|被捕|枪击|枪案|判决|法院|庭审|"
        r"起诉|罢工|抗议|示威|游行|骚乱|治安|养老|托育|社区|志愿者|"
        r"救助|民生|住房保障|男子|女子|女孩|男孩|妻子|丈夫|遇害|杀人|"
        r"死刑|被抓|窃贼|劫持|人质|谋杀|性侵|绑架",
    ]),
    ("fraud", [
        r"诈骗|电诈|赌诈|反诈|骗局|传销|非法集资|杀猪盘|刷单",
    ]),
    ("real_estate", [
        r"房地产|楼市|房价|住房|商品房|保障房|房贷|公积金|城中村|棚户区",
    ]),
    ("autos", [
        r"汽车|新能源车|新能源汽车|电动车|车企|整车|充电桩|车市",
    ]),
    ("politics", [
        r"习近平|总书记|中共中央|党中央|国务院|全国人大|人大常委|全国政协|"
        r"政协|中央委员会|全会|党的二十大|二十大|党组|纪委|监察|纪检|"
        r"巡视|反腐|腐败|落马|审查调查|违纪|违法|法治|立法|法律|条例|"
        r"主持召开|常务会议|座谈会|部署|改革|政策|政府|部长|省委|市委|"
        r"书记|总统|总理|首相|议会|国会|选举|大选|政党|内阁|辞职|王储|"
        r"弹劾|政变|台湾|台独|香港|澳门|两岸|统战|宣讲|主题教育|新征程|"
        r"中国式现代化|高质量发展|领航|人民代表|意见|通知|印发|发布.{0,6}(规定|办法|方案)",
    ]),
]

_COMPILED = [(label, [re.compile(p, re.IGNORECASE) for p in pats])
             for label, pats in RULES]

# Shootings, attacks and war: their dead make a story `society` or
# `military` (TAXONOMY.md), not `disaster`. Where one of these matches,
# `disaster` needs its first pattern, a named disaster or accident.
VIOLENCE = re.compile(
    r"枪击|枪案|枪手|涉枪|空袭|导弹|炮击|轰炸|冲突|交战|战事|战争|武装|"
    r"恐袭|恐怖|骚乱|杀人|遇害|凶手")

# Labels whose rules also look at the lead (the first sentence of the
# body), where a headline alone rarely names the topic.
LEAD_LABELS = {"disaster", "weather", "military"}

# Labels whose rules use the catch-all vocabulary of state media (改革,
# 政策, 项目, 企业): they are listed after the labels of more specific rules,
# so a story's first label is the most specific topic found.
GENERAL = {"finance", "politics", "technology", "culture", "society"}

# A more specific topic outranks the general one its stories also match.
# A diplomacy story names leaders and offices, so the politics rule matches
# it too; a scam story is crime news, so the society rule matches it too.
# The model learns every label of a row alike (one-vs-all), and with both
# it scored 习近平会见… as politics and diplomacy equally and ranked them at
# random, while the labelling guide puts the specific topic first. Such
# rows keep the specific label only.
OUTRANKS = {"diplomacy": "politics", "fraud": "society"}

# Labels the rules also give rows that a data set labelled: a scam story is
# `fraud` whatever section its portal filed it under (TNEWS and THUCNews
# put scams under society, finance or tech, so without this the model
# learnt to call them `society`).
TOPICAL = ("fraud",)


def ranked(matched, general, outranks):
    """`matched` (labels in rule order) with the specific ones first; each
    specific label drops the general one it outranks."""
    specific = [label for label in matched if label not in general]
    dropped = {outranks[label] for label in specific if label in outranks}
    return specific + [label for label in matched
                       if label in general and label not in dropped]


def matched_labels(compiled, title, lead, lead_labels, violence,
                   lead_only=None):
    """The labels of `compiled` ([(label, [patterns])], in rule order) whose
    patterns match: the headline, or headline and lead for `lead_labels`.
    Where `violence` matches that text, `disaster` needs its first pattern
    (a named disaster or accident). `lead_only` ({label: pattern}) adds a
    label whose pattern matches the lead alone."""
    matched = []
    for label, patterns in compiled:
        text = title + " " + lead if label in lead_labels else title
        if label == "disaster" and violence.search(text):
            patterns = patterns[:1]
        extra = (lead_only or {}).get(label)
        if (any(p.search(text) for p in patterns) or
                (extra is not None and extra.search(lead))):
            matched.append(label)
    return matched


def labels_for(title, lead=""):
    """The weak labels of a row, most specific first (may be empty)."""
    return ranked(matched_labels(_COMPILED, title, lead, LEAD_LABELS,
                                 VIOLENCE), GENERAL, OUTRANKS)


def with_topical(labels, title):
    """A labelled row's labels, plus the TOPICAL labels whose rules match
    its title; each added label drops the label it OUTRANKS."""
    out = set(labels)
    for label, patterns in _COMPILED:
        if label in TOPICAL and any(p.search(title) for p in patterns):
            out.add(label)
            out.discard(OUTRANKS.get(label))
    return tuple(sorted(out))


def world_labels(title, lead="", fallback=True):
    """International news: the rules' labels; when none match, `politics`
    if `fallback` (CCTV's international items are foreign current affairs)
    or nothing (portal "world" sections also hold curiosities)."""
    return labels_for(title, lead) or (["politics"] if fallback else [])
