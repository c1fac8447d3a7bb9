"""The organization of policy/organization.yaml: the attachments' rosters and the units of the four actions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import civpolicy
from civpolicy.source.citations import outline, squash

POLICY = Path(__file__).resolve().parents[1] / "policy"
DOCUMENT = (POLICY / "opinion.txt").read_text(encoding="utf-8")

Row = dict[str, Any]


@pytest.fixture(scope="module")
def tables() -> dict[str, list[Row]]:
    policy = civpolicy.load_policy()
    names = (
        "headquarters_roster",
        "headquarters_groups",
        "group_members",
        "township_contacts",
        "community_leaders",
        "action_units",
    )
    return {name: [dict(row) for row in policy.model.tables[name].rows] for name in names}


def test_sixteen_townships_are_contacted_each_by_its_own_number(tables: dict[str, list[Row]]) -> None:
    rows = tables["township_contacts"]
    townships = {row["township"] for row in rows}
    assert len(townships) == 16
    assert {row["number"] for row in rows} == set(range(1, 17))
    by_number = {row["number"]: row["township"] for row in rows}
    assert all(by_number[row["number"]] == row["township"] for row in rows)
    assert {row["source"] for row in rows} == {"附件2"}


def test_fourteen_communities_in_three_townships(tables: dict[str, list[Row]]) -> None:
    rows = tables["community_leaders"]
    assert len({row["community"] for row in rows}) == 14
    assert sorted(row["number"] for row in rows) == list(range(1, 15))
    counts = {town: sum(row["township"] == town for row in rows) for town in ("赊店镇", "潘河街道", "赵河街道")}
    assert counts == {"赊店镇": 8, "潘河街道": 3, "赵河街道": 3}


def test_seven_groups_each_in_the_vocabulary_with_its_leader(tables: dict[str, list[Row]]) -> None:
    policy = civpolicy.load_policy()
    terms = {term.id: term.zh for term in policy.model.vocabularies["headquarters_groups"]}
    groups = {row["group"]: row for row in tables["headquarters_groups"]}
    assert len(groups) == 7
    assert {group: row["name"] for group, row in groups.items()} == terms
    assert groups["sanitation"]["duties"] is None  # 环境卫生组 has no 主要职责 in the document
    assert all(row["duties"] for group, row in groups.items() if group != "sanitation")
    leaders = {row["group"] for row in tables["group_members"] if row["position"] == "leader"}
    assert leaders == set(terms)
    assert {row["group"] for row in tables["group_members"]} <= set(terms)


def test_every_name_is_written_in_the_document() -> None:
    policy = civpolicy.load_policy()
    whole = squash(DOCUMENT)
    names = [
        value
        for table in ("headquarters_roster", "group_members", "township_contacts", "community_leaders")
        for row in policy.model.tables[table].rows
        for key, value in row
        if key in ("name", "leader") and value is not None
    ]
    assert len(names) > 100
    assert [name for name in names if re.search(r"\s", name) or name not in whole] == []


def test_every_title_group_duty_township_and_unit_is_the_documents_words(tables: dict[str, list[Row]]) -> None:
    whole = squash(DOCUMENT)
    fields = ("title", "duties", "township", "community", "unit")
    words = [row[f] for rows in tables.values() for row in rows for f in fields if row.get(f) is not None]
    assert [word for word in words if squash(word) not in whole] == []


def test_spot_rows(tables: dict[str, list[Row]]) -> None:
    contacts = tables["township_contacts"]
    assert {"number": 1, "township": "郝寨镇", "leader": "李哲", "source": "附件2"} in contacts
    assert {row["leader"] for row in contacts if row["township"] == "赊店镇"} == {"邱国彦", "王承磊", "文献充"}
    community = {"number": 1, "township": "赊店镇", "community": "东裕社区", "leader": "李哲", "source": "附件3"}
    assert community in tables["community_leaders"]
    leaders = {row["group"]: row for row in tables["group_members"] if row["position"] == "leader"}
    assert (leaders["supervision"]["name"], leaders["supervision"]["title"]) == ("郭映伦", "县纪委常委")
    assert (leaders["funding"]["name"], leaders["funding"]["source"]) == ("张伟斌", "附件1 二（七）")
    traffic = [row["name"] for row in tables["group_members"] if row["group"] == "traffic"]
    assert traffic == ["史承晔", "张坤", None]  # two leaders; the deputies are named by position only
    unnamed = [row["title"] for row in tables["group_members"] if row["group"] == "supervision" and not row["name"]]
    assert unnamed == ["县纪委监委驻县委宣传部纪检监察组组长"]


def test_the_roster_keeps_the_documents_order_roles_and_joined_titles(tables: dict[str, list[Row]]) -> None:
    roster = tables["headquarters_roster"]
    assert [row["number"] for row in roster] == list(range(1, len(roster) + 1))
    first = {row["role"]: row["name"] for row in reversed(roster)}
    assert first["政委"] == "张荣印"
    assert first["指挥长"] == "关文波"
    assert first["常务副指挥长"] == "李哲"
    assert first["办公室主任"] == "赵向龙"
    executive = next(row for row in roster if row["role"] == "执行副指挥长")
    assert executive["title"] == "县委常委、县委宣传部部长、县政府副县长"
    assert sum(row["role"] == "副指挥长" for row in roster) == 16
    assert roster[-1] == {
        "number": len(roster),
        "role": "成员",
        "name": None,
        "title": "各乡镇（街道）党委（党工委）书记",
        "source": "附件1 一",
    }


def test_the_action_units_of_the_four_actions(tables: dict[str, list[Row]]) -> None:
    rows = tables["action_units"]
    lead = {row["action"]: row["unit"] for row in rows if row["role"] == "lead"}
    assert lead == {
        "traffic": "县公安局",
        "city_environment": "县城管局",
        "farm_market": "县城管局",
        "rural": "县农业农村局",
    }
    rural = [row["unit"] for row in rows if row["action"] == "rural" and row["role"] == "responsible"]
    assert rural == ["县乡村振兴局", "各乡镇（街道）"]
    assert {row["source"] for row in rows} == {"三（一）", "三（二）", "三（三）", "三（四）"}


def test_the_attachments_resolve_in_the_outline_each_with_its_own_words() -> None:
    clauses = outline(DOCUMENT)
    annex2 = clauses[squash("附件2")]
    assert annex2.text.startswith("附件2县级领导联系乡镇") and "东裕社区" not in annex2.text
    supervision = clauses[squash("附件1 二（二）")]
    assert supervision.text.startswith("（二）督查问责组组长：郭映伦")
    assert "宣传教育组" not in supervision.text
    annex1 = clauses[squash("附件1")]
    assert annex1.text.startswith("社旗县创建文明城市工作指挥部名单一、")
    assert "此件发至" not in annex1.text and "附件2" not in annex1.text
    assert clauses[squash("附件1 二（五）")].text.startswith("（5）环境卫生组")
    refs = [f"附件1 二（{n}）" for n in "一二三四五六七"] + ["附件1 一", "附件1 二", "附件3"]
    assert all(squash(ref) in clauses for ref in refs)
