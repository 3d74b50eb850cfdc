"""The prose around the tables: title, 一、总体情况, 五、存在的主要问题, 六、其他需要报告的事项, signature.

The prose quotes figures of its own (主动公开信息 N 条, 收到申请 N 件, 信息处理费 N 元): they are
distractors for an extractor and are not labelled as cells.
"""

from __future__ import annotations

from .content import Report
from .doc import Para, Segment

_CN = "一二三四五六七八九十"


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def heading(rng, number: str, text: str) -> str:
    return _pick(rng, (f"{number}、{text}", f"{number}、{text}", f"{number}、 {text}", text))


def title(report: Report, rng, seg) -> Para:
    """The report title; the agency and year are labelled items."""
    agency = seg(report.agency, "agency", "agency")
    year = seg(str(report.year), "year", "year")
    gap = _pick(rng, ("", "", " "))
    form = int(rng.integers(3))
    tail = _pick(rng, ("政府信息公开工作年度报告", "政府信息公开工作年度报告", "年度政府信息公开工作报告"))
    if form == 0:
        segs = [agency, Segment(gap), year, Segment(gap + "年" + gap + tail)]
    elif form == 1:
        segs = [year, Segment(gap + "年" + gap), agency, Segment(tail)]
    else:
        segs = [agency, Segment(f"{gap}"), year, Segment(f"{gap}年度{tail.replace('年度', '')}")]
    return Para(segs, heading=True)


def _p(text: str, heading_: bool = False) -> Para:
    return Para([Segment(text)], heading_)


def opening(report: Report, rng) -> list[Para]:
    y, short, f = report.year, report.short_agency, report.prose
    paras = [_p(_pick(rng, (
        f"本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室"
        f"关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》要求编制。本报告中所列数据的统计期限自{y}年1月1日"
        f"起至{y}年12月31日止。",
        f"依据《中华人民共和国政府信息公开条例》要求，编制本报告。本年度报告中所列数据的统计期限自 {y} 年 1 月 1 日起至 "
        f"{y} 年 12 月 31 日止。如对本报告有疑问，请与{report.agency}联系。",
        f"根据新修订的《中华人民共和国政府信息公开条例》文件要求，{short}结合工作实际，形成 {y} 年度政府信息公开工作年度报告。",
    )))]
    paras.append(_p(heading(rng, "一", "总体情况"), True))
    received = (f"全年共收到政府信息公开申请{f['new_received']}件，均在法定期限内予以答复。"
                if f["new_received"] else f"{y}年{short}没有收到政府信息公开申请。")
    sections = [
        ("（一）主动公开", f"{y}年，{short}通过政府门户网站、政务新媒体等渠道主动公开政府信息{f['active']}条，"
                       f"其中发布政策文件{f['policy_docs']}件，工作动态{max(f['active'] // 3, 1)}条，"
                       f"解读材料{f['policy_docs'] // 2}篇。"),
        ("（二）依申请公开", received + "严格按照《条例》规定的程序和时限办理，做到依法依规、规范答复。"),
        ("（三）政府信息管理", "建立健全信息发布审核机制，落实“先审后发”和“三审三校”制度，确保发布信息准确、规范。"
                        "对现行有效的规范性文件进行动态清理，及时更新公开目录。"),
        ("（四）政府信息公开平台建设", "以政府门户网站为第一平台，加强政务新媒体管理，优化栏目设置，"
                             "提升信息检索和互动交流功能。"),
        ("（五）监督保障", f"将政务公开工作纳入年度绩效考核，全年组织业务培训{f['trainings']}次，"
                       f"{'未发生' if rng.random() < 0.8 else '发生'}因政府信息公开工作被责任追究的情况。"),
    ]
    for caption, body in sections[: int(rng.integers(3, 6))]:
        if rng.random() < 0.5:
            paras.append(_p(caption + "情况" if not caption.endswith("建设") else caption, True))
            paras.append(_p(body))
        else:
            paras.append(_p(caption + "。" + body))
    return paras


def closing(report: Report, rng, seg) -> list[Para]:
    y, f = report.year, report.prose
    paras = [_p(heading(rng, "五", _pick(rng, ("存在的主要问题及改进情况", "存在的主要问题及改进情况", "存在的主要问题"))), True)]
    paras.append(_p(_pick(rng, (
        f"{y}年，{report.short_agency}政府信息公开工作取得了一定成效，但也存在一些不足：一是主动公开的深度和广度有待拓展；"
        f"二是政策解读形式较为单一；三是工作人员业务能力有待提高。下一步，将加强学习培训，完善工作机制，提升公开质量。",
        "一是信息公开制度有待进一步完善；二是主动公开信息内容有待进一步充实。在接下来的工作中，我们将进一步完善政府信息"
        "公开制度，加强对新修订《条例》内容的学习，拓宽公开渠道，并加强受理和反馈工作。",
        "存在问题：政务公开专业人才不足，信息更新不够及时。改进措施：1、强化学习力度；2、梳理流程，加强管理；"
        "3、加强监督检查，及时整改发现的问题。",
    ))))
    paras.append(_p(heading(rng, "六", "其他需要报告的事项"), True))
    fee = f["fee_yuan"]
    paras.append(_p(_pick(rng, (
        f"依据《政府信息公开信息处理费管理办法》，本年度{'未收取信息处理费' if not fee else f'共收取信息处理费{fee}元'}。",
        f"本机关{y}年度{'未发出收费通知，未收取信息处理费' if not fee else f'发出收费通知{max(fee // 200, 1)}件，收取信息处理费{fee}元'}。"
        f"本年度报告的电子版可在政府门户网站下载。",
        "无" if not fee else f"本年度收取信息处理费{fee}.00元。",
    ))))
    if rng.random() < 0.6:  # signature: agency again, then the date of the following year
        paras.append(Para([seg(report.agency, "agency", "agency")]))
        paras.append(_p(f"{y + 1}年{int(rng.integers(1, 3))}月{int(rng.integers(1, 29))}日"))
    return paras
