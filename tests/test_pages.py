"""Tables read as drawn: grids with merged cells, tables carried over pages, cells traced to their boxes."""

import pdfplumber
import pytest

from gaiml.pages import PageContent, PageInfo, render_pages, table_from_boxes
from gaiml.pages.grid import continues, join
from gaiml.pipeline import ExtractSettings, Pipeline
from gaiml.readers import read_document
from gaiml.values import values_equal
from formats import to_text_pdf

from conftest import ALL_SEEDS

RULES = Pipeline.load(ExtractSettings(engine="rules"))


def _table(page, boxes_texts):
    table = table_from_boxes([b for b, _ in boxes_texts], page)
    by_box = dict(boxes_texts)
    for cell in table.cells:
        cell.text = by_box[cell.box]
    return table


# A parent label spanning two sub-rows, and a header cell spanning two columns.
PARENT = [((0, 0, 100, 20), "项目"), ((100, 0, 200, 20), "数量"),
          ((0, 20, 50, 60), "（三）不予公开"), ((50, 20, 100, 40), "1.属于国家秘密"), ((100, 20, 200, 40), "3"),
          ((50, 40, 100, 60), "2.其他"), ((100, 40, 200, 60), "4")]


def test_pages_grid_has_the_spans_of_merged_cells():
    table = _table(1, PARENT)
    assert (table.n_rows, table.n_cols) == (3, 3)
    spans = {c.text: (c.row, c.col, c.rowspan, c.colspan) for c in table.cells}
    assert spans["项目"] == (0, 0, 1, 2)
    assert spans["（三）不予公开"] == (1, 0, 2, 1)
    assert spans["2.其他"] == (2, 1, 1, 1)


def test_pages_render_puts_a_parent_label_once_and_traces_every_cell():
    rendered = render_pages([PageContent(PageInfo(1, 595, 842, "text layer"), ["标题", _table(1, PARENT)])])
    assert rendered.text.splitlines()[2:5] == ["项目\t数量", "（三）不予公开\t1.属于国家秘密\t3", "2.其他\t4"]
    start = rendered.text.index("4")
    place = rendered.place_of(start, start + 1)
    assert (place.page, place.box) == (1, (100, 40, 200, 60))
    assert rendered.place_of(0, 2) is None  # the title is no table cell


def test_pages_table_carried_over_a_page_joins_without_its_repeated_header():
    first = _table(1, PARENT)
    rest = _table(2, [((0, 0, 100, 20), "项目"), ((100, 0, 200, 20), "数量"),
                      ((0, 20, 50, 40), ""), ((50, 20, 100, 40), "3.危及安全"), ((100, 20, 200, 40), "7")])
    assert continues(first, rest)
    joined = join(first, rest)
    assert joined.n_rows == 4
    assert [c.text for c in joined.rows()[3]] == ["", "3.危及安全", "7"]
    rendered = render_pages([PageContent(PageInfo(1, 595, 842, "text layer"), [first, "- 1 -"]),
                             PageContent(PageInfo(2, 595, 842, "text layer"), [rest])])
    lines = rendered.text.strip("\n").splitlines()
    assert lines.count("项目\t数量") == 1
    assert lines[-1] == "- 1 -"  # the page footer between the parts goes after the table
    seven = rendered.text.index("7")
    assert rendered.place_of(seven, seven + 1).page == 2


def test_pages_other_columns_on_the_next_page_are_another_table():
    first = _table(1, PARENT)
    other = _table(2, [((0, 0, 30, 20), "a"), ((30, 0, 200, 20), "b")])
    assert not continues(first, other)


@pytest.mark.parametrize("seed", ALL_SEEDS[:3], ids=lambda s: s.doc_id[:3])
def test_pages_pdf_tables_over_pages_extract_to_gold_with_boxes(seed, tmp_path):
    """Large print carries 表三 over several pages with its header repeated on each."""
    path = tmp_path / "report.pdf"
    to_text_pdf(seed.text, seed.gold, path, font_size=16, repeat_rows=1)
    result = RULES.extract(path)
    assert result.encoding == "pdf:grid"
    got = result.values()
    assert {k: (v, got[k]) for k, v in seed.gold["cells"].items() if not values_equal(v, got[k])} == {}
    assert len(result.pages) > 3
    with pdfplumber.open(path) as pdf:
        for key, cell in result.cells.items():
            assert cell.page is not None, key
            if cell.text and cell.text.strip():  # the printed figure stands inside its box
                inside = pdf.pages[cell.page - 1].crop(cell.box).extract_text()
                assert cell.text.strip() in inside.replace("\n", ""), key


def test_pages_pdf_without_ruled_tables_is_read_as_its_text_stream(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from formats import CJK_FONT

    seed = ALL_SEEDS[2]
    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", str(CJK_FONT), subfontIndex=0))
    path = tmp_path / "plain.pdf"
    page = canvas.Canvas(str(path), pagesize=A4)
    y = 800
    for line in seed.text.splitlines():  # the seed's tab-separated rows as plain lines, no rules
        if y < 40:
            page.showPage()
            y = 800
        page.setFont("WQY", 8)
        page.drawString(30, y, line.replace("\t", "  "))
        y -= 11
    page.save()
    document = read_document(path)
    assert document.read_as == "pdf:text" and document.layout is None
    assert any("no ruled table" in note for note in document.notes)
    result = RULES.extract(path)
    assert any("no ruled table" in w for w in result.warnings)
    assert result.pages is None


def test_pages_broken_text_layer_is_read_by_ocr(tmp_path):
    """A scan with a text layer whose glyphs have no Unicode map (private-use code points, as
    fonts without a ToUnicode table give): the layer is set aside and the page read by OCR."""
    import random
    import subprocess

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from formats import CJK_FONT, report_parts, to_scanned_pdf
    from relayout import vary_values

    seed = next(s for s in ALL_SEEDS if s.gold["template"] == "2021")
    gold = vary_values(seed.gold, random.Random(5))
    before, tables, _ = report_parts(seed.text, gold, tables=("t2",))
    scan = tmp_path / "scan.pdf"
    to_scanned_pdf(before.strip().splitlines()[0], tables, scan)
    subprocess.run(["pdftoppm", "-r", "200", "-gray", "-png", "-singlefile", str(scan), str(tmp_path / "page")],
                   check=True)
    if "WQY" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("WQY", str(CJK_FONT), subfontIndex=0))
    with pdfplumber.open(scan) as pdf:
        width, height = float(pdf.pages[0].width), float(pdf.pages[0].height)
    path = tmp_path / "broken.pdf"
    page = canvas.Canvas(str(path), pagesize=(width, height))
    page.drawImage(str(tmp_path / "page.png"), 0, 0, width, height)
    layer = page.beginText(20, height - 40)
    layer.setTextRenderMode(3)  # invisible, as OCR layers and broken exports are
    layer.setFont("WQY", 10)
    for i in range(12):
        layer.textLine("".join(chr(0xE000 + (i * 37 + j) % 500) for j in range(30)))
    page.drawText(layer)
    page.save()
    document = read_document(path)
    assert document.read_as == "pdf:ocr"
    assert any("no Unicode mapping" in note and "read by OCR" in note for note in document.notes)
    result = RULES.extract(path)
    assert [p.read for p in result.pages] == ["ocr"]
    t2 = {k: v for k, v in gold["cells"].items() if k.startswith("t2.")}
    got = result.values()
    assert {k: (v, got[k]) for k, v in t2.items() if not values_equal(v, got[k])} == {}


def test_pages_row_broken_over_a_page_is_joined_back():
    """Word breaks a tall row over the page: "8016" above the break, "4" and the label's end below."""
    first = _table(1, [((0, 0, 50, 20), "（六）其他处理"), ((50, 0, 100, 20), "1.申请人逾期"), ((100, 0, 200, 20), "8016")])
    rest = _table(2, [((0, 0, 50, 40), ""), ((50, 0, 100, 20), "未补正"), ((100, 0, 200, 20), "4"),
                      ((50, 20, 100, 40), "2.其他"), ((100, 20, 200, 40), "7")])
    joined = join(first, rest)
    assert [[c.text for c in row] for row in joined.rows()] == [["（六）其他处理", "1.申请人逾期未补正", "80164"],
                                                                  ["", "2.其他", "7"]]
    # a row of its own, numbered, is not joined
    numbered = _table(2, [((0, 0, 50, 20), ""), ((50, 0, 100, 20), "2.其他"), ((100, 0, 200, 20), "4")])
    assert [c.text for c in join(first, numbered).rows()[1]] == ["", "2.其他", "4"]


def test_pages_a_drawn_cell_is_one_figure_whatever_its_letter_spacing():
    table = _table(1, [((0, 0, 100, 20), "行政许可"), ((100, 0, 200, 20), "1, 078"),
                       ((0, 20, 100, 40), "行政事业性收费"), ((100, 20, 200, 40), "4100. 1")])
    rendered = render_pages([PageContent(PageInfo(1, 595, 842, "ocr"), [table])])
    assert rendered.text.split() == ["行政许可", "1,078", "行政事业性收费", "4100.1"]
    start = rendered.text.index("4100.1")
    assert rendered.place_of(start, start + 6).box == (100, 20, 200, 40)
