"""Chinese personal names: which text counts as one, and where its surname ends.

No installed library knows surnames (pypinyin reads 欧阳 right only because it is a phrase), so the compound
surnames are listed here: those of the Hundred Family Surnames (百家姓) that people still carry. 乐正 and
宗政 are left out: 乐 and 宗 are common single surnames, and 正 and 政 common first characters of a given
name, so 乐正华 is far more often Yue Zhenghua than a Yuezheng.
"""

import re

COMPOUND_SURNAMES = (
    # The first eight are the ones made-up people carry (teller.synthetic_people): keep their order.
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "单于",
    "尉迟", "公孙", "长孙", "宇文", "司徒", "夏侯", "令狐", "万俟", "澹台", "闻人", "轩辕", "端木", "呼延",
    "赫连", "独孤", "南宫", "西门", "钟离", "淳于", "鲜于", "濮阳", "申屠", "太叔", "公冶", "拓跋", "第五",
    "司空", "东郭", "百里", "左丘", "梁丘", "闾丘", "谷梁", "公羊", "羊舌", "微生", "漆雕", "巫马", "亓官",
    "司寇", "仲孙", "颛孙", "壤驷", "公良", "宰父", "夹谷", "段干", "子车", "公西", "东门",
)
# CJK unified ideographs: extension A, the basic block, and extensions B onwards (rare name characters such
# as 𠮷). NFKC folds the compatibility ideographs into these. Written as a bracket-expression body, the
# same in a Python or PostgreSQL regular expression and in an SQLite GLOB.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
_HAN_ONLY = re.compile(f"[{HAN}]+")


def is_chinese(text: str) -> bool:
    """Whether `text` is Chinese characters only (no spaces, letters, digits or dots)."""
    return _HAN_ONLY.fullmatch(text) is not None


def given_name(name: str) -> str | None:
    """The given name of a Chinese personal name: 王小芳 -> 小芳, 欧阳小芳 -> 小芳, 王芳 -> 芳. A compound surname
    counts only when a given name follows it (欧阳 alone is Ou Yang). None for anything else (a Latin name,
    one character, characters mixed with other text)."""
    if len(name) < 2 or not is_chinese(name):
        return None
    return name[2:] if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else name[1:]
