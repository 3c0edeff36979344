"""Word lists for the synthetic city: people, roads, landmarks, brands.

Names are synthetic combinations; any match with a real person or business is coincidental.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The most frequent surnames, in rough frequency order (weights decay along the list).
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
    "薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常"
    "武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅林辉鹏飞波宁浩宇轩子涵欣怡"
    "晨阳思雨佳琪博文昊然梓萱一诺俊杰雅婷振海春燕永胜德福庆丰淑珍凤兰桂芝瑞雪海燕晓东立新卫东"
)

# Two-character words that road names are built from (with 北/中/南 or 东/中/西 segments).
ROAD_WORDS = _words(
    "朝阳 东风 裕华 五四 七一 建华 复兴 长城 恒祥 天威 乐凯 向阳 阳光 东关 三丰 秀兰 灵雨 莲池 竞秀 "
    "北市 南市 西关 东华 北二环 红星 永华 华电 新华 厚德 和平 团结 胜利 光明 友谊 前进 建设 人民 "
    "文化 学府 体育 工业 商贸 盛兴 百花 金台 银定 府河 一亩泉 清苑 满城 徐水 定兴 安新 雄州 "
    "白洋淀 太行 燕赵 古城 直隶 保运 淮军 钟楼 城隍 南关 北关 丰收 农场 新村 花园 康乐 福寿 "
    "长青 松林 柏林 杨庄 韩庄 焦庄 大激店 富昌 贤台 江城 东湖 西湖 南湖 军校 岳庄 龙潭 凤凰 "
    "瑞祥 利民 惠民 安居 乐业 兴华 振兴 繁荣 锦绣 紫荆 丁香 玉兰 海棠 石榴 梧桐 银杏 枫林 "
    "翠园 桃园 杏园 梨园 果园 东苑 西苑 南苑 北苑 中华 启明 晨光 曙光 阳春 金秋 冬青 春华 "
    "秋实 天鹅 黄河 长江 泰山 华山 恒山 嵩山 衡山 燕山 昆仑 天山 祁连 秦岭 漕河 瀑河 唐河"
)

# Landmarks placed on standard addresses: the messy-address matcher resolves "XX对面" through them.
MALLS = _words(
    "万博广场 北国商城 保百购物广场 茂业百货 东方购物中心 乐凯商城 天鹅商厦 先天下广场 "
    "恒祥购物中心 直隶商城 朝阳商厦 裕华购物广场"
)
SCHOOLS_SUFFIX = ("小学", "中学", "实验学校", "职业技术学院")
HOSPITALS = _words(
    "第一中心医院 第二中心医院 第一医院 妇幼保健院 中医院 儿童医院 口腔医院 骨科医院 眼科医院 "
    "人民医院 传染病医院 精神卫生中心"
)

# Brands and their relative share in the registry (free text as the vehicle administration keeps it).
BRANDS_ICE = {
    "大众": 14, "丰田": 9, "本田": 8, "长城": 7, "吉利": 7, "长安": 6, "哈弗": 6, "别克": 5,
    "日产": 5, "奔驰": 3, "宝马": 3, "奥迪": 3, "现代": 3, "起亚": 2, "福特": 2, "雪佛兰": 2,
    "五菱": 4, "奇瑞": 3, "马自达": 2, "红旗": 2,
}  # fmt: skip
BRANDS_NEV = {"比亚迪": 35, "特斯拉": 10, "五菱": 12, "理想": 6, "蔚来": 4, "小鹏": 4, "埃安": 6,
              "问界": 6, "零跑": 5, "极氪": 4, "吉利": 8}  # fmt: skip
BRANDS_HEAVY = {"解放": 25, "东风": 20, "重汽": 20, "陕汽": 15, "福田": 10, "宇通": 5, "金龙": 5}
BRANDS_COACH = {"宇通": 40, "金龙": 25, "海格": 15, "中通": 10, "比亚迪": 10}
VEHICLE_COLORS = {
    "白": 34,
    "黑": 22,
    "灰": 12,
    "银": 12,
    "红": 7,
    "蓝": 6,
    "棕": 3,
    "绿": 2,
    "黄": 2,
}

COMPANY_WORDS = _words(
    "顺达 通达 安泰 恒通 远航 宏运 鑫源 金桥 华宇 广汇 诚信 永安 泰和 锦程 运通 畅达 腾飞 "
    "兴业 长风 德信"
)
