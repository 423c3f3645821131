# ruff: noqa: E501  -- this module is prose: one Chinese paragraph per line reads (and diffs) best.
"""Built-in article texts of the demo portal, written for this project.

Every company, person and figure below is fictional; the prose was written for Portal Archive
and is not taken from any real article.  The texts only need to be plausible tech-industry news
in the style of the OFweek 维科网 portal.

Blocks use a tiny markup that :mod:`demo_portal.content` turns into the portal's HTML:

``"## 小标题"``
    heading paragraph (``<p style=…><strong>小标题</strong></p>``)
``"IMG 2022-08/25/name.jpg"``
    centred image, absolute ``src`` under ``/Upload/News/``
``"IMG-LAZY …"`` / ``"IMG-ORIG …"``
    lazy image: ``src="/images/loading.gif"`` plus ``data-src`` / ``data-original``
``"IMG-REL …"``
    image with a site-relative ``src`` (``/Upload/News/…``)
``"IDEO 正文"``
    paragraph indented with two U+3000 ideographic spaces instead of CSS
``"EMPTY"``
    an empty ``<p></p>``
``"RAW <html>"``
    inserted verbatim (furniture such as scripts and ads)
anything else
    a normal paragraph; ``[[词]]`` inside becomes an OFweek keyword link (``span.hrefStyle``)

``{{BASE}}`` is replaced by the portal's base URL.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ArticleSpec:
    """Raw description of one built-in article (see module docstring for the block markup)."""

    art_id: int
    month: str
    title: str
    published: str
    source: str
    blocks: tuple[str, ...]
    tags: tuple[str, ...] = ()
    layout: str = "current"
    encoding: str = "header"
    in_listing: bool = True
    in_feed: bool = True
    role: str = ""


#: Keyword links the portal sprinkles into article bodies (``span.hrefStyle > a``).
KEYWORD_LINKS: dict[str, str] = {
    "低碳": "https://ecep.ofweek.com/CAT-93012-carbon.html",
    "锂电池": "https://libattery.ofweek.com/CAT-36001-lidianchi.html",
    "钠离子电池": "https://libattery.ofweek.com/CAT-36012-naion.html",
    "储能": "https://libattery.ofweek.com/CAT-36008-chuneng.html",
    "光伏": "https://solar.ofweek.com/CAT-260001-guangfu.html",
    "LPCVD": "https://solar.ofweek.com/CAT-260015-lpcvd.html",
    "芯片": "https://ee.ofweek.com/CAT-2800-chip.html",
    "第三代半导体": "https://ee.ofweek.com/CAT-2801-disandai.html",
    "Mini LED": "https://display.ofweek.com/CAT-8321-miniled.html",
    "机器人": "https://robot.ofweek.com/CAT-8421-robot.html",
    "碳化硅": "https://power.ofweek.com/CAT-35008-sic.html",
    "新能源汽车": "https://nev.ofweek.com/CAT-71001-xinnengyuanqiche.html",
    "氢能": "https://nev.ofweek.com/CAT-71005-qingneng.html",
    "激光雷达": "https://laser.ofweek.com/CAT-11002-lidar.html",
    "自动驾驶": "https://auto.ofweek.com/CAT-70101-zidongjiashi.html",
}


SODIUM = ArticleSpec(
    art_id=30572367,
    month="2022-08",
    title="钠离子电池中试线投运 首批电芯能量密度达到每公斤145瓦时",
    published="2022-08-25 16:09",
    source="OFweek锂电网",
    tags=("钠离子电池", "锂电池", "储能"),
    role="flagship: 10 paragraphs, headings, data-src lazy image, <script>, inline ad div, HTML comment",
    blocks=(
        "8月25日，位于江苏盐城的澜拓锂能钠离子电池中试线正式投入运行。公司方面介绍，首批下线的方形电芯单体能量密度达到145Wh/kg，常温循环寿命超过3000次，将优先面向两轮电动车和低速[[储能]]场景送样。",
        "在碳酸锂价格高位运行的背景下，[[钠离子电池]]因原材料储量丰富、成本可控，被不少企业视为对[[锂电池]]的重要补充。澜拓锂能总经理周启航在投运仪式上表示，钠电并不追求全面替代锂电，而是要在对价格敏感、对体积要求相对宽松的细分市场里先站稳脚跟。",
        "## 正极选用层状氧化物路线",
        "据了解，该中试线正极材料采用层状氧化物体系，负极为自主改性的硬碳材料，电解液则在常规六氟磷酸钠配方基础上加入了少量成膜添加剂。技术负责人介绍，硬碳负极的首次库仑效率一度是制约量产的瓶颈，团队通过调整前驱体碳化温度曲线，将首效从82%提升到了88%左右。",
        "IMG 2022-08/25/5e1c8a0f3b7d2.jpg",
        "相比锂电产线，钠电池的生产设备兼容度较高。项目负责人坦言，中试线约七成设备与原有磷酸铁锂产线通用，主要改动集中在极片干燥和注液环节，“钠电材料吸水性更强，车间露点要求比我们预想的还要严格。”",
        'RAW <script type="text/javascript">var _artStat = {id: 30572367, ch: "libattery"}; if (window.ofwStat) { ofwStat.push(_artStat); }</script>',
        "## 低温性能成为主要卖点",
        "测试数据显示，该批电芯在零下20℃环境下仍能保持约90%的容量，这一表现明显优于同尺寸的磷酸铁锂电芯。在北方冬季，电动两轮车续航衰减一直是用户投诉的焦点，钠电在这一场景中具有天然优势。",
        "在安全性方面，钠电池同样表现出一定优势。针刺、挤压和过充测试中，样品电芯均未出现起火或爆炸现象。研发团队分析认为，这与钠电正极材料热稳定性较好、电池可以放电至零伏存储运输有关。",
        'RAW <div class="ad-in-article"><a href="{{BASE}}/ad/click?id=118" target="_blank"><img src="{{BASE}}/ad/inline-300x100.gif" alt="广告"></a><span class="ad-mark">广告</span></div>',
        "IMG-LAZY 2022-08/25/9b4d27e6a1c08.png",
        "不过，业内人士也提醒，钠离子电池的产业链仍处于起步阶段，正极前驱体、硬碳负极等关键材料尚未形成规模化供应，短期内成本优势难以完全释放。按照澜拓锂能的测算，只有当年产能达到5GWh以上时，钠电池包的成本才有望比同类磷酸铁锂电池包低15%至20%。",
        "RAW <!-- 责任编辑：LT-0825 排版：wk 审核通过后请删除本注释 -->",
        "从国内来看，今年以来已有多家电池企业和材料企业公布了钠电池相关布局，涵盖正极、负极、电解液和电芯制造等环节。据不完全统计，规划中的钠电池产能已超过百GWh，但真正具备量产交付能力的产线仍屈指可数。",
        "## 产能规划分两步走",
        "根据规划，澜拓锂能将在2023年上半年建成1GWh量产线，2024年视市场反馈再扩至5GWh。公司同时与两家电动车整车企业签订了联合开发协议，计划在明年推出搭载钠电池的入门级车型样车。",
        "有分析认为，未来两到三年将是钠电池从实验室走向市场的关键窗口期，能否率先跑通“材料—电芯—系统”的完整链条，将决定企业在新一轮[[低碳]]竞争中的位置。",
    ),
)

TOPCON = ArticleSpec(
    art_id=30571208,
    month="2022-08",
    title="TOPCon电池量产效率突破25% 光伏企业加速新一代产线切换",
    published="2022-08-19 09:42",
    source="OFweek太阳能光伏网",
    tags=("光伏", "TOPCon", "电池片"),
    role="data-original lazy image, keyword link inside <strong>, <iframe> ad",
    blocks=(
        "近日，曜川光伏宣布其位于安徽滁州的TOPCon电池车间平均量产转换效率达到25.1%，良率稳定在97%以上。这是该公司继去年投产首条N型试验线后，在新一代[[光伏]]电池技术上取得的又一进展。",
        "过去几年，PERC电池凭借成熟的工艺和较低的设备投资占据了市场主流，但其量产效率已逐渐逼近23.5%左右的天花板。业内普遍认为，以TOPCon、异质结为代表的N型技术将接棒成为下一代主流路线。",
        "## 隧穿氧化层是工艺关键",
        "TOPCon的全称为隧穿氧化层钝化接触，其核心是在电池背面制备一层仅约1.5纳米厚的超薄氧化硅，再覆盖掺杂多晶硅层。曜川光伏工艺总监介绍，<strong>[[LPCVD]]沉积与硼扩散两道工序</strong>对设备稳定性要求最高，公司花了近半年时间才把片间均匀性控制在理想范围。",
        "IMG-ORIG 2022-08/19/c31f7a9e05b64.jpg",
        "从成本角度看，TOPCon产线可在原有PERC产线基础上改造升级，单GW设备投资约为1.5亿元至2亿元，明显低于异质结路线。这也是目前多数头部企业优先选择TOPCon扩产的主要原因。",
        'RAW <iframe src="{{BASE}}/ad/frame-solar.html" width="640" height="90" frameborder="0" scrolling="no"></iframe>',
        "市场研究机构预计，到2022年底，国内TOPCon电池名义产能有望超过60GW，N型电池的市场份额将从目前的不足一成提升到两成左右。与此同时，银浆耗量偏高仍是TOPCon降本的主要障碍，多家企业正在测试激光辅助烧结和低银浆料方案。",
        "IMG 2022-08/19/7d0e5b2a9f813.png",
        "对于下游电站投资方而言，N型组件更低的衰减率和更好的弱光响应意味着更高的全生命周期发电量。曜川光伏表示，其TOPCon组件首年衰减不超过1%，此后每年衰减不超过0.4%，目前已向西北两个大型地面电站批量供货。",
    ),
)

CHIPLET = ArticleSpec(
    art_id=30569914,
    month="2022-08",
    title="国产Chiplet互连标准草案发布 先进封装产业链迎来协同窗口",
    published="2022-08-08 14:27",
    source="OFweek电子工程网",
    tags=("芯片", "先进封装", "Chiplet"),
    encoding="wrong-header",
    role="lying header (charset=utf-8, bytes GBK, meta says gbk); site-relative img src; empty <p></p>",
    blocks=(
        "8月8日，由多家芯片设计企业、封测厂和高校联合起草的《小芯粒互连接口技术要求》草案在深圳发布，并开始面向行业征求意见。草案对芯粒之间的物理层、协议层和测试方法提出了统一要求，目标是让不同厂商设计的芯粒能够在同一封装内“即插即用”。",
        "随着先进制程的研发投入水涨船高，把大芯片拆分成多个小芯粒、再通过先进封装组合起来的Chiplet方案受到越来越多关注。这种方式可以让计算核心采用先进工艺，而输入输出、模拟等模块沿用成熟工艺，从而在性能和成本之间取得平衡。",
        "EMPTY",
        "## 统一接口降低集成门槛",
        "参与起草的衡芯半导体副总裁卢家豪表示，过去各家企业的芯粒接口各自为政，一家公司的芯粒很难与另一家的产品直接拼接。“标准统一之后，中小设计公司可以只专注于自己最擅长的那一块芯粒，而不必从头到尾包揽整颗[[芯片]]。”",
        "IMG-REL 2022-08/08/e4a90c7b3d512.png",
        "草案中规定的单通道数据速率最高可达每秒32Gb，互连延迟控制在纳秒量级，并兼顾了2.5D硅中介层和扇出型封装两类主流工艺。起草组同时给出了一套芯粒级的可测性设计建议，以解决多芯粒封装后难以定位失效单元的问题。",
        "EMPTY",
        "不过，业内人士指出，标准落地还需要EDA工具、封装基板和测试设备等环节同步跟进。目前国内高端ABF载板仍主要依赖进口，产能紧张也在一定程度上限制了Chiplet方案的推广速度。",
        "起草组计划在今年第四季度完成意见征集，并于明年推出首批互操作性测试样品。",
    ),
)

MINILED = ArticleSpec(
    art_id=30566031,
    month="2022-07",
    title="Mini LED背光电视出货量上半年同比增长超七成",
    published="2022-07-21 11:05",
    source="OFweek显示网",
    tags=("Mini LED", "显示", "电视"),
    encoding="meta",
    role="no charset in header, only <meta charset=gb2312>; GBK-only char 镕; U+3000-indented paragraph",
    blocks=(
        "根据行业咨询机构最新发布的统计，2022年上半年全球Mini LED背光电视出货量约为136万台，同比增长73%。在整体电视市场需求偏弱的情况下，Mini LED成为少数保持高速增长的细分品类。",
        "与传统侧入式背光相比，[[Mini LED]]背光将数千颗微小的LED芯片直接排布在面板背后，可以实现上千个独立控光分区，在对比度和峰值亮度上接近OLED的观感，同时规避了烧屏风险。",
        "IDEO 晶屿显示首席技术官陈镕在接受采访时表示，分区数量并不是越多越好，“真正决定画质的是控光算法和光学膜片的配合，分区太密而算法跟不上，反而会出现光晕和拖影。”",
        "IMG 2022-07/21/3f8b6c1d0e9a7.jpg",
        "## 价格下探带动渗透",
        "出货量快速增长的背后，是终端价格的明显下探。去年同期，65英寸Mini LED电视的主流售价还在8000元以上，今年“618”期间已有多款产品跌破5000元。LED芯片尺寸缩小、COB封装良率提升以及驱动IC方案整合，是成本下降的三大推手。",
        "除了电视，Mini LED背光在显示器、笔记本电脑和车载显示中的应用也在加速。陈镕透露，晶屿显示今年新增订单中，车载中控屏和仪表屏的占比已接近三成。",
        "业内预计，全年Mini LED背光电视出货量有望突破300万台。但也有分析师提醒，下半年消费电子需求仍存在不确定性，面板厂和整机厂需要警惕库存压力。",
    ),
)

COBOT = ArticleSpec(
    art_id=30563377,
    month="2022-07",
    title="",
    published="2022-07-06 17:30",
    source="OFweek机器人网",
    tags=("机器人", "协作机器人"),
    role="broken page: empty title (p.title empty, <title> is only the site name); onclick= on a paragraph; javascript: link",
    blocks=(
        "7月6日，卓衡智能在杭州发布新一代六轴协作机器人，最大负载12公斤，重复定位精度±0.03毫米。新品面向汽车零部件、3C电子和新能源电池等行业的上下料、拧紧和检测工位，预计今年四季度开始批量交付。",
        "与传统工业[[机器人]]相比，协作机器人最大的特点是可以与工人在同一空间内工作，无需加装安全围栏。卓衡智能产品总监葛远帆介绍，新品在每个关节都集成了力矩传感器，碰撞检测灵敏度比上一代提升约40%，一旦感知到异常接触会在毫秒级时间内停止动作。",
        'RAW <p style="text-indent: 2em; text-align: left;" onclick="ofwTrack(\'cobot-spec\')">为降低部署门槛，新品配套的图形化编程软件支持拖拽示教：操作人员只需手动牵引机械臂走一遍轨迹，系统即可自动生成运动程序。公司称，一名没有编程基础的产线工人经过半天培训即可完成简单任务的部署。</p>',
        "IMG 2022-07/06/a0d5f83c6e17b.jpg",
        "## 国产核心部件占比提升",
        "值得注意的是，新品的减速器、伺服电机和控制器均已实现国产化。葛远帆表示，三年前公司产品中进口核心部件的成本占比超过一半，如今已下降到不足两成，这也是新品售价能够比上一代下调约15%的重要原因。",
        "据行业统计，2021年国内协作机器人销量约为1.9万台，同比增长超过五成。随着新能源汽车和锂电行业扩产提速，柔性化、小批量的生产需求正在为协作机器人打开更大的市场空间。",
        'RAW <p style="text-indent: 2em; text-align: left;"><a href="javascript:void(0);" class="share-weixin">分享到微信</a></p>',
    ),
)

HIGH_VOLTAGE = ArticleSpec(
    art_id=30560012,
    month="2022-06",
    title="800V高压平台车型密集上市 碳化硅功率器件需求水涨船高",
    published="2022-06-14 10:18",
    source="OFweek新能源汽车网",
    tags=("新能源汽车", "碳化硅", "快充"),
    role="deleted image (/deleted/ path answers 403 even with Referer); 1x1 tracking pixel in body",
    blocks=(
        "进入2022年，800V高压平台正从少数高端车型的“专属配置”逐步下放到30万元以内的主流价位。据不完全统计，今年已有超过十款基于800V架构的新车发布或开启预售，“充电5分钟、续航200公里”正在成为新的宣传卖点。",
        "将整车电压平台从400V提升到800V，在相同充电功率下可以把电流减半，从而降低线束发热和能量损耗。但高电压也对电驱、电控和充电系统提出了更高要求，其中最关键的变化来自功率半导体。",
        "IMG 2022-06/14/deleted/6c2e9f1a4b873.jpg",
        "## 碳化硅上车提速",
        "[[碳化硅]]MOSFET耐压高、开关损耗小，在800V平台上相比硅基IGBT优势更加明显。一位电驱系统工程师算了一笔账：同样的电驱系统，换用碳化硅模块后整车续航可提升5%到8%，电控体积也能缩小三分之一左右。",
        'RAW <img src="/stat/pixel.gif?a=1" width="1" height="1">',
        "然而，车规级碳化硅衬底和外延片的供应依然偏紧。6英寸衬底的良率和产能爬坡速度，直接决定了器件厂商的出货节奏。多家[[新能源汽车]]企业已通过战略投资、长单锁定等方式提前布局上游产能。",
        "IMG 2022-06/14/8a1f3d6b0c25e.png",
        "充电基础设施同样是绕不开的话题。目前公共充电桩中能够支持800V大功率快充的比例仍然很低，车企不得不自建超充站或在车端加装升压模块，以兼容现有的400V充电桩。",
        "业内人士认为，随着碳化硅器件成本每年以10%到15%的速度下降，800V平台有望在2025年前后成为中高端纯电车型的标配。",
    ),
)

RECYCLING = ArticleSpec(
    art_id=30555480,
    month="2022-05",
    title="动力电池回收网点突破万家 梯次利用仍待标准破题",
    published="2022-05-27 08:55",
    source="OFweek锂电网",
    tags=("电池回收", "锂电池"),
    role="shortest article (4 paragraphs) with empty <p></p> between paragraphs",
    blocks=(
        "记者从行业协会了解到，截至今年4月底，全国已建成动力电池回收服务网点一万余个，覆盖31个省份。随着首批新能源汽车动力电池陆续进入退役期，电池回收正从“小众生意”变成一门规模可观的产业。",
        "EMPTY",
        "目前退役电池的去向主要有两条：一是拆解后通过湿法冶金回收锂、钴、镍等有价金属；二是经过检测重组后用于通信基站备电、低速车等梯次利用场景。相比之下，拆解回收的商业模式更加清晰，而梯次利用受制于电池一致性差、检测成本高，盈利仍不稳定。",
        "EMPTY",
        "IMG 2022-05/27/1b7e0d4c9a36f.jpg",
        "有回收企业负责人表示，梯次利用产品缺少统一的安全标准和残值评估方法，下游用户普遍心存顾虑。“同样是退役电池，不同车型、不同使用年限的电芯性能差异很大，没有一套公认的评估体系，很难谈规模化。”",
        "业内呼吁尽快出台梯次利用产品认证和溯源管理细则，推动电池编码信息在整车企业、[[锂电池]]企业和回收企业之间互通共享。",
    ),
)

STORAGE = ArticleSpec(
    art_id=30550193,
    month="2022-04",
    title="百兆瓦时级液冷储能电站并网 独立储能商业模式加速成型",
    published="2022-04-12 15:40",
    source="OFweek储能网",
    tags=("储能", "液冷"),
    in_listing=False,
    role="feed-only (not in the listing; the listing sidebar's 编辑推荐 trap block links to it)",
    blocks=(
        "4月12日，位于山东的一座100MW/200MWh独立储能电站完成全容量并网。该电站采用磷酸铁锂电池和液冷温控方案，由40个集装箱式储能单元组成，建成后将参与电网调峰和现货市场交易。",
        "与早期配套新能源电站建设的“强制配储”项目不同，独立[[储能]]电站可以直接与电网签订调度协议，通过容量租赁、调峰补偿和峰谷价差等多种方式获得收益。项目投资方测算，在当前政策下，电站全投资收益率可达6%左右。",
        "IMG 2022-04/12/f2c6a8e0b4d19.jpg",
        "## 液冷方案渐成主流",
        "在温控技术上，该项目选用了液冷而非传统的风冷。系统集成商技术负责人介绍，液冷可以把电池簇内的最大温差控制在3℃以内，有助于延长电芯寿命；同时由于不再需要大量风道，集装箱内的能量密度提升了约30%。",
        "安全性同样是储能电站关注的焦点。该电站为每个电池舱配置了可燃气体探测、分级消防和远程监控系统，一旦出现热失控征兆，可以在数秒内切断相关回路并启动灭火。",
        "业内预计，随着电力现货市场在更多省份落地，独立储能的收益来源将更加多元，今年国内新型储能新增装机规模有望实现翻番。",
    ),
)

LIDAR = ArticleSpec(
    art_id=30574102,
    month="2022-09",
    title="车载激光雷达价格逼近千元关口 前装量产车型超过二十款",
    published="2022-09-02 13:16",
    source="OFweek激光网",
    tags=("激光雷达", "自动驾驶"),
    in_listing=False,
    role="feed-only and the newest article",
    blocks=(
        "9月2日，在重庆举行的一场智能汽车产业论坛上，多位业内人士表示，车载激光雷达的单颗采购价格正在快速逼近1000元人民币关口。两年前，同类产品的价格还普遍在数千元甚至上万元。",
        "价格下降带动了装车量的增长。据不完全统计，今年国内已上市或即将上市的前装[[激光雷达]]车型超过二十款，覆盖从20万元到50万元的多个价格区间。部分车企甚至在同一车型上配置了两到三颗激光雷达，以覆盖更大的侧向视场。",
        "## 技术路线仍在分化",
        "从技术方案看，转镜式和MEMS微振镜式是当前前装市场的主流，纯固态的Flash方案则主要用于补盲。一家激光雷达企业的产品经理表示，车规级产品最难的不是把测距做远，而是在高温、振动和长时间运行条件下保持稳定，“一颗雷达要通过上千小时的可靠性测试才能上车。”",
        "IMG 2022-09/02/2d9a4e7c1f05b.jpg",
        "在成本构成中，激光器和探测器芯片的占比最高。随着国产VCSEL和SPAD芯片逐步导入，核心器件的自主供应能力正在提升，这被视为价格进一步下探的关键。",
        "不过，激光雷达能否成为[[自动驾驶]]的标配仍有争议。部分车企坚持以摄像头为主的纯视觉路线，认为依靠算法和数据积累同样可以实现安全的辅助驾驶。业内人士认为，两条路线的竞争在未来几年仍将持续，而成本将是决定胜负的重要变量。",
    ),
)

SIC = ArticleSpec(
    art_id=30528846,
    month="2021-11",
    title="6英寸碳化硅衬底良率提升 第三代半导体材料国产化提速",
    published="2021-11-23 09:00",
    source="来源：OFweek维科网",
    tags=("碳化硅", "第三代半导体"),
    in_feed=False,
    role='listing-only (older than the feed window); source text carries its own "来源：" prefix',
    blocks=(
        "11月23日，国内碳化硅衬底企业宸磊材料宣布，其6英寸导电型碳化硅衬底的量产良率已提升至65%以上，月产能达到5000片。公司计划明年将产能扩充至每月1.5万片，并启动8英寸衬底的研发。",
        "以[[碳化硅]]和氮化镓为代表的[[第三代半导体]]材料具有禁带宽度大、击穿电场高、热导率好等特点，适用于高压、高频和高温场景，在新能源汽车、光伏逆变器和5G基站中的应用前景广阔。",
        "但碳化硅晶体生长速度慢、工艺窗口窄，长期以来是制约产业发展的瓶颈。宸磊材料技术负责人介绍，一炉碳化硅晶体通常需要生长7天左右，而且生长过程在2000℃以上的高温密闭环境中进行，无法实时观察，只能依靠温场设计和工艺经验来控制缺陷。",
        "IMG 2021-11/23/b5e0c9f2a7d36.png",
        "## 从“能做”到“做好”",
        "过去几年，国内多家企业已经能够小批量供应6英寸衬底，但在微管密度、基平面位错等关键指标上与国际领先水平仍有差距。宸磊材料表示，公司通过改进籽晶粘接和多段控温工艺，已将微管密度降低到每平方厘米0.5个以下。",
        "分析人士指出，衬底约占碳化硅器件总成本的四成以上，衬底良率和尺寸的突破将直接带动器件价格下降。在下游需求持续旺盛的情况下，具备稳定量产能力的衬底企业有望获得更多长期订单。",
    ),
)

HYDROGEN = ArticleSpec(
    art_id=30451209,
    month="2021-06",
    title="氢燃料电池重卡示范运营满一年 百公里氢耗降至9公斤以下",
    published="2021年06月18日 14:05",
    source="OFweek氢能网",
    tags=("氢能", "燃料电池", "重卡"),
    layout="legacy",
    in_feed=False,
    role="legacy layout (h1.artical-title, span.time in 年月日 form, span.source); U+3000 paragraphs",
    blocks=(
        "IDEO 6月18日，记者从运营方获悉，首批投入港口集疏运线路的50辆氢燃料电池重卡已累计安全运营超过一年，总行驶里程突破300万公里。运营数据显示，车辆满载工况下的百公里氢耗已由投运初期的10.5公斤降至8.8公斤。",
        "IDEO 港口短途倒运具有线路固定、往返频繁、集中停放的特点，被认为是[[氢能]]重卡最早实现商业化的场景之一。与纯电重卡相比，燃料电池重卡加氢时间仅需10至15分钟，续航可达400公里以上，更适合高强度连续作业。",
        "IDEO 运营方负责人坦言，目前制约氢能重卡推广的最大因素仍是用氢成本。当前港口加氢站的终端氢价约为每公斤35元，折算下来每公里燃料成本仍高于柴油车。只有当氢价降到每公斤25元以下，燃料电池重卡才能在不依赖补贴的情况下与柴油车正面竞争。",
        "IMG 2021-06/18/0e7b3a9d5c14f.jpg",
        "IDEO 在车辆端，燃料电池系统的寿命和可靠性也在持续改善。据系统供应商介绍，新一代电堆的设计寿命已超过2万小时，冷启动温度可低至零下30℃，关键零部件国产化率超过九成。",
        "IDEO 按照示范城市群的规划，到2025年，当地将累计推广燃料电池汽车5000辆以上，配套建设加氢站40座，并探索利用工业副产氢和可再生能源制氢降低用氢成本。",
    ),
)

POLYSILICON = ArticleSpec(
    art_id=30427735,
    month="2021-04",
    title="多晶硅料价格连续上涨 光伏产业链中下游承压",
    published="2021年04月02日 10:30",
    source="OFweek太阳能光伏网",
    tags=("光伏", "多晶硅"),
    layout="legacy",
    encoding="meta",
    in_feed=False,
    role="legacy layout + only <meta charset=gb2312> (no header charset) + GBK-only char 镕; oldest article",
    blocks=(
        "IDEO 4月以来，多晶硅料价格延续上涨态势。据行业机构报价，单晶致密料成交均价已升至每吨13万元以上，较年初上涨近六成，创下近年来新高。",
        "IDEO 硅料价格上涨主要源于供需错配。一方面，下游硅片环节新增产能集中释放，对硅料的需求快速增长；另一方面，硅料扩产周期长达一年半左右，新产能短期内难以投放。西部硅料企业镕晟硅业相关负责人表示，公司目前订单已排至三季度，产线处于满负荷运转状态。",
        "IDEO 上游涨价的压力正沿着产业链逐级传导。部分硅片企业已连续三次上调报价，电池片和组件环节的利润空间被明显压缩。一些中小组件企业反映，在手订单多为去年签订的固定价格合同，原材料成本上涨后几乎无利可图，只能选择减产观望。",
        "IMG 2021-04/02/4c8f1e6a2b90d.jpg",
        "IDEO 对于电站投资方而言，组件价格上涨可能推迟部分[[光伏]]项目的开工时间。有开发商表示，如果组件价格持续高于每瓦1.8元，上半年部分平价项目的收益率将难以达到预期。",
        "IDEO 业内预计，随着今年下半年多家企业的新增硅料产能陆续投产，供需紧张局面有望逐步缓解，但价格回落的时点和幅度仍存在不确定性。",
    ),
)

#: All built-in articles, in no particular order (the listing sorts newest first).
BUILTIN_SPECS: tuple[ArticleSpec, ...] = (
    SODIUM,
    TOPCON,
    CHIPLET,
    MINILED,
    COBOT,
    HIGH_VOLTAGE,
    RECYCLING,
    STORAGE,
    LIDAR,
    SIC,
    HYDROGEN,
    POLYSILICON,
)

#: A listing entry whose article page answers 404 (the article was taken down).
MISSING_SPEC = ArticleSpec(
    art_id=30558820,
    month="2022-06",
    title="柔性OLED面板出货环比回升 折叠屏手机需求成关键变量",
    published="2022-06-01 12:00",
    source="OFweek显示网",
    tags=("OLED",),
    in_feed=False,
    role="listed, but its article URL answers 404",
    blocks=(
        "受折叠屏手机新品集中发布带动，二季度柔性OLED面板出货量环比回升，多家面板厂商的产线稼动率有所恢复。",
    ),
)

# Word pools for the synthetic articles of ``generated=N`` (deterministic pseudo-news).
GEN_COMPANIES: tuple[str, ...] = (
    "澜拓锂能",
    "曜川光伏",
    "衡芯半导体",
    "晶屿显示",
    "卓衡智能",
    "宸磊材料",
    "启远动力",
    "海衡储能",
    "星弧激光",
    "云峤科技",
    "铂川电子",
    "弘屹新材",
)
GEN_PRODUCTS: tuple[tuple[str, str], ...] = (
    ("固态电池", "锂电池"),
    ("钙钛矿组件", "光伏"),
    ("车规级MCU", "芯片"),
    ("Micro LED模组", "Mini LED"),
    ("协作机器人", "机器人"),
    ("碳化硅模块", "碳化硅"),
    ("储能变流器", "储能"),
    ("激光雷达", "激光雷达"),
    ("智能座舱芯片", "芯片"),
    ("氢燃料电堆", "氢能"),
    ("硅基负极材料", "锂电池"),
    ("功率半导体", "第三代半导体"),
)
GEN_ACTIONS: tuple[str, ...] = (
    "发布",
    "量产",
    "送样",
    "扩产",
    "签约",
    "交付",
    "通过车规认证的",
    "完成验证的",
)
GEN_OUTCOMES: tuple[str, ...] = (
    "年产能规划提升",
    "首批订单落地",
    "良率迈上新台阶",
    "成本进一步下探",
    "获得头部客户认可",
    "产业链协同加速",
)
GEN_SENTENCES: tuple[str, ...] = (
    "{company}表示，{product}项目目前进展顺利，预计{year}年实现规模化出货。",
    "业内人士认为，{kw}市场正处于从导入期向成长期过渡的阶段，成本和可靠性将成为影响竞争格局的关键因素。",
    "数据显示，今年前{months}个月国内{product}出货量同比增长{pct}%，增速明显高于行业平均水平。",
    "与上一代产品相比，新方案在能效方面提升约{pct2}%，同时体积缩小了近三分之一。",
    "{company}已与{n}家下游客户签订合作协议，首批订单金额约{amount}亿元。",
    "不过，上游原材料价格波动和关键设备交付周期偏长，仍是行业需要面对的现实问题。",
    "据介绍，该产线自动化率超过{pct3}%，单线年产能可达{cap}万套。",
    "多家机构预计，未来三年{product}的市场规模将保持两位数增长。",
    "{company}相关负责人坦言，从样品到量产的每一步都需要与客户反复磨合，“良率每提升一个百分点都不容易”。",
    "在政策和市场的双重推动下，围绕{kw}的投资热度持续升温，但也有分析人士提醒警惕低水平重复建设。",
)
