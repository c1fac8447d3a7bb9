"""Clause references and quotes checked against the document's own numbering (civpolicy.source.citations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from civpolicy.checks.validate import load_model
from civpolicy.errors import PolicyError
from civpolicy.source.citations import Cited, check_citations, outline
from policy_copies import copy_policy, edit

DOCUMENT = """\
  县委 县政府
关于某项工作的意见
（2022年3月6日）
为做好工作，提出如下意见。
一、总体要求
坚持问题导向。
二、建立机制
（一）联系机制
实行领导联系。
（二）考评机制
1.考评制度
一是周自评。每周进行自评。
二是月通报。每月通报一次。
2.考评对象
三是对县直单位的考评
（1）联建单位。成绩由网格组成。
（2）重点单位。每季度排名。
以上细则另行制定。
（三）挂钩机制
1.与评选挂钩。考评“好”的单位优先。
2.与奖金挂钩。考评“差”的单位停发奖金。
垂直管理单位由指挥部函告。
附件：1.名单
一、指挥部名单
（一）综合组
"""


def cite(ref: str, text: str) -> Cited:
    return Cited(file="p.yaml", path="rules[0]", ref=ref, text=text, ref_at=(3, 13), text_at=(4, 11))


def messages(*cited: Cited) -> list[tuple[int, str, str]]:
    return [(p.line, p.path, p.message) for p in check_citations(cited, DOCUMENT)]


def test_the_outline_follows_the_documents_numbering_from_part_to_sub_point() -> None:
    clauses = outline(DOCUMENT)
    refs = [clause.ref for clause in clauses.values() if not clause.ref.endswith("最后一段")]
    expected = [
        "一",
        "二",
        "二（一）",
        "二（二）",
        "二（二）1",
        "二（二）1 一是",
        "二（二）1 二是",
        "二（二）2",
        "二（二）2 三是",
        "二（二）2 三是（1）",
        "二（二）2 三是（2）",
        "二（三）",
        "二（三）1",
        "二（三）2",
    ]
    assert expected == refs


def test_a_clause_holds_its_parts_and_its_trailing_paragraphs_but_not_the_annex() -> None:
    clauses = outline(DOCUMENT)
    assert "（2）重点单位。每季度排名。以上细则另行制定。" == clauses["二（二）2三是（2）"].text
    assert "垂直管理单位由指挥部函告。" == clauses["二（三）最后一段"].text
    assert "名单" not in clauses["二"].text
    assert "为做好工作" not in "".join(clause.text for clause in clauses.values())


def test_a_reference_may_be_spaced_or_not() -> None:
    assert [] == messages(cite("二（二）1一是", "每周进行自评"), cite("二（三） 最后一段", "由指挥部函告"))


def test_a_quote_may_leave_words_out_in_order() -> None:
    assert [] == messages(cite("二（三）", "考评“好”的单位优先。……停发奖金"), cite("二（三）", "考评...停发奖金"))


def test_a_reference_to_no_clause_lists_what_its_parent_has() -> None:
    expected = "no clause '二（三）3' in the document (二（三） has 二（三）1, 二（三）2, 二（三） 最后一段)"
    assert [(3, "rules[0].source", expected)] == messages(cite("二（三）3", "停发奖金"))


def test_half_width_brackets_are_pointed_out() -> None:
    expected = (
        "no clause '二(三)2' in the document (did you mean '二（三）2'? the document's brackets are full-width: （）)"
    )
    assert [(3, "rules[0].source", expected)] == messages(cite("二(三)2", "停发奖金"))


def test_a_reference_outside_the_numbering_gives_examples() -> None:
    ((_, _, message),) = messages(cite("第五条", "停发奖金"))
    assert "no clause '第五条' in the document (a reference is the document's numbering, as in 二（二）1, " in message


def test_a_quote_of_another_clause_names_the_clause_it_is_in() -> None:
    expected = [(4, "rules[0].text", "this quote is not in 二（三）1: it is in 二（三）2")]
    assert expected == messages(cite("二（三）1", "停发奖金"))


def test_a_quote_whose_parts_are_out_of_order_is_refused() -> None:
    expected = "the parts of this quote (split at ……) are not in the order the document has them"
    assert [(4, "rules[0].text", expected)] == messages(cite("二（三）", "停发奖金……优先"))


def test_a_misquote_shows_where_it_leaves_the_clauses_words() -> None:
    expected = (
        "this quote is not in the document, word for word: after '考评“差”的单位' "
        "the document has '停发奖金。垂直管理单位由', the quote '扣发奖金。'"
    )
    assert [(4, "rules[0].text", expected)] == messages(cite("二（三）2", "考评“差”的单位扣发奖金。"))


def test_a_quote_nothing_of_which_is_in_the_document() -> None:
    expected = "this quote is not in the document, word for word: 'xyz'"
    assert [(4, "rules[0].text", expected)] == messages(cite("二（三）2", "xyz"))


def test_the_shipped_policy_cites_only_clauses_the_document_has() -> None:
    load_model(Path(__file__).resolve().parents[1] / "policy")  # raises PolicyError otherwise


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "  - id: promotion.favored\n    source: 二（四）4\n",
            "  - id: promotion.favored\n    source: 二（四）5\n",
            "no clause '二（四）5' in the document (二（四） has "
            "二（四）1, 二（四）2, 二（四）3, 二（四）4, 二（四） 最后一段)",
        ),
        (
            "  - id: promotion.favored\n    source: 二（四）4\n",
            "  - id: promotion.favored\n    source: 二（四）1\n",
            "this quote is not in 二（四）1: it is in 二（四）4",
        ),
    ],
    ids=["no-such-clause", "quote-of-another-clause"],
)
def test_a_policy_citing_a_wrong_clause_is_refused_at_its_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    folder = copy_policy(tmp_path / "policy")
    text = (folder / "linkages.yaml").read_text(encoding="utf-8")
    edit(folder, "linkages.yaml", old, new)
    with pytest.raises(PolicyError) as caught:
        load_model(folder)
    (problem,) = caught.value.problems
    line = text[: text.index(old)].count("\n") + 2 + (0 if "source" in problem.path else 1)
    assert (Path(problem.file).name, problem.line, problem.message) == ("linkages.yaml", line, message)


def test_a_misquote_is_shown_beside_the_place_it_resembles_most() -> None:
    """The start '考评“' stands twice in the clause; the quote goes on like the second."""
    expected = (
        "this quote is not in the document, word for word: after '考评“' "
        "the document has '差”的单位停发奖金。垂直', the quote '中”的单位停发奖金。'"
    )
    assert [(4, "rules[0].text", expected)] == messages(cite("二（三）", "考评“中”的单位停发奖金。"))


def test_a_longer_number_is_not_taken_for_a_part_of_a_shorter_one() -> None:
    """二（三）12 is not inside 二（三）1: its parent is 二（三）."""
    expected = "no clause '二（三）12' in the document (二（三） has 二（三）1, 二（三）2, 二（三） 最后一段)"
    assert [(3, "rules[0].source", expected)] == messages(cite("二（三）12", "停发奖金"))


ANNEXED = """\
一、总体要求
坚持问题导向。
附件：1.指挥部
      名单
      2.一览表

（此件发至乡局级）
指挥部名单
一、名单
组长：某某
二、分组
（一）综合组
负责综合。
（2） 督查组
负责督查。
附件2
一览表
"""


def test_the_attachments_are_clauses_from_their_title_or_their_own_heading() -> None:
    clauses = outline(ANNEXED)
    refs = [clause.ref for clause in clauses.values() if not clause.ref.endswith("最后一段")]
    assert ["一", "附件1", "附件1 一", "附件1 二", "附件1 二（一）", "附件1 二（二）", "附件2"] == refs
    assert "一、总体要求坚持问题导向。" == clauses["一"].text  # the list of attachments is not the body
    assert clauses["附件1"].text.startswith("指挥部名单一、名单") and "附件2" not in clauses["附件1"].text
    assert "（2）督查组负责督查。" == clauses["附件1二（二）"].text  # a （2） after （一） is the section （二）
    assert "附件2一览表" == clauses["附件2"].text


def test_a_sub_point_inside_a_point_is_not_taken_for_a_section() -> None:
    clauses = outline(DOCUMENT)
    assert "二（二）2三是（2）" in clauses and "二（二）（2）" not in clauses and "二（三）" in clauses
