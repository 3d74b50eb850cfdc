"""Agency names of every level: city, county, department, town, community.

Place names are a small fixed inventory of real prefectures and counties; combining them with
department, town and community patterns gives tens of thousands of plausible names.
"""

from __future__ import annotations

PROVINCES = ("江西省", "黑龙江省", "贵州省", "湖南省", "四川省", "河南省", "山东省", "广东省", "浙江省", "安徽省",
             "湖北省", "河北省", "云南省", "福建省", "陕西省", "甘肃省")
CITIES = ("赣州", "樟树", "佳木斯", "安顺", "宜春", "吉安", "株洲", "衡阳", "绵阳", "南充", "洛阳", "开封", "潍坊",
          "临沂", "佛山", "惠州", "绍兴", "金华", "芜湖", "安庆", "宜昌", "襄阳", "保定", "邯郸", "曲靖", "泉州",
          "宝鸡", "天水", "九江", "上饶", "遵义", "岳阳", "德阳", "商丘", "烟台", "湛江", "嘉兴", "蚌埠", "荆州")
COUNTIES = ("赣县", "桦川", "西秀", "章贡", "南康", "信丰", "大余", "上犹", "崇义", "安远", "龙南", "定南", "全南",
            "宁都", "于都", "兴国", "会昌", "寻乌", "石城", "瑞金", "袁州", "万载", "上高", "宜丰", "靖安", "铜鼓",
            "平坝", "普定", "镇宁", "关岭", "紫云", "醴陵", "攸县", "茶陵", "炎陵", "涪城", "游仙", "三台", "盐亭",
            "梓潼", "北川", "平武", "江油", "偃师", "孟津", "新安", "栾川", "嵩县", "汝阳", "宜阳", "洛宁", "伊川")
COUNTY_SUFFIX = ("县", "区", "市")
DEPARTMENTS = ("教育局", "公安局", "民政局", "司法局", "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局",
               "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "商务局", "文化广电旅游局", "卫生健康委员会",
               "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局", "林业局",
               "城市管理局", "行政审批局", "发展和改革委员会", "工业和信息化局", "科学技术局", "人民政府办公室",
               "行政服务中心管委会", "城市社区管理委员会", "党群工作部", "自然资源和规划局", "数据资源管理局")
TOWNS = ("梅林", "茅店", "储潭", "江口", "五云", "湖江", "王母渡", "韩坊", "田村", "白石", "大埠", "南塘", "吉埠",
         "马槽", "七眼桥", "双堡", "大西桥", "刘官", "黄腊", "东屯", "幺铺", "宁谷", "轿子山", "旧州", "蔡官",
         "长沙", "新城", "城关", "河口", "石桥", "龙门", "青山", "清溪", "桃源", "太平", "永和", "安宁", "红旗")
TOWN_KINDS = ("镇人民政府", "乡人民政府", "街道办事处")
COMMUNITIES = ("和平", "幸福", "建设", "胜利", "文化", "东门", "西门", "南门", "北关", "新华", "民主", "团结",
               "光明", "育才", "滨江", "金山", "银湖", "花园", "站前", "解放")
COMMUNITY_KINDS = ("社区居民委员会", "社区服务中心", "村民委员会", "社区党工委")


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def sample_agency(rng, level: str) -> tuple[str, str]:
    """(full name, short form used in the prose) for an agency of that level."""
    city = _pick(rng, CITIES) + "市"
    county = _pick(rng, COUNTIES) + _pick(rng, COUNTY_SUFFIX)
    if level == "city":
        body = _pick(rng, ("人民政府", "人民政府", "人民政府办公室"))
        return city + body, "市政府" if body == "人民政府" else "市政府办公室"
    if level == "county":
        return county + "人民政府", county[-1] + "政府"
    if level == "department":
        dept = _pick(rng, DEPARTMENTS)
        place = city if rng.random() < 0.4 else (city + county if rng.random() < 0.2 else county)
        short = {"卫生健康委员会": "卫健委", "发展和改革委员会": "发改委"}.get(dept, "本" + dept[-1])
        return place + dept, short
    if level == "town":
        kind = _pick(rng, TOWN_KINDS)
        prefix = county if rng.random() < 0.7 else ""
        return prefix + _pick(rng, TOWNS) + kind, "我" + ("街道" if kind == "街道办事处" else kind[0])
    kind = _pick(rng, COMMUNITY_KINDS)
    town = _pick(rng, TOWNS)
    prefix = county + town + ("镇" if rng.random() < 0.5 else "街道") if rng.random() < 0.5 else town
    return prefix + _pick(rng, COMMUNITIES) + kind, "本" + ("村" if kind == "村民委员会" else "社区")
