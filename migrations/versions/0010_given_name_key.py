"""given name key: find a customer by a two-character given name

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 18:00:00.000000

Substring search needs three characters (the trigram indexes), so a teller typing 小芳 found neither 王小芳
nor 欧阳小芳. `customer.given_name_key` holds an individual's Chinese name without its surname, searched by
prefix through an index on (given_name_key, id). Existing customers get theirs in one UPDATE: the surname
split is a CASE over the stored `name_key`, as `teller.chinese_names.given_name` makes it; the compound
surnames and the ideograph ranges are copied here as they stand at this revision. On a million customers
the upgrade took 2 s on SQLite and 13 s on PostgreSQL (the index is built after the fill). The SQLite column is
added with ALTER TABLE ADD COLUMN, not a batch copy of `customer` (that would drop the FTS triggers of
0002), and the UPDATE leaves `name_key`, so those triggers do not fire.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "单于",
    "尉迟", "公孙", "长孙", "宇文", "司徒", "夏侯", "令狐", "万俟", "澹台", "闻人", "轩辕", "端木", "呼延",
    "赫连", "独孤", "南宫", "西门", "钟离", "淳于", "鲜于", "濮阳", "申屠", "太叔", "公冶", "拓跋", "第五",
    "司空", "东郭", "百里", "左丘", "梁丘", "闾丘", "谷梁", "公羊", "羊舌", "微生", "漆雕", "巫马", "亓官",
    "司寇", "仲孙", "颛孙", "壤驷", "公良", "宰父", "夹谷", "段干", "子车", "公西", "东门",
)
HAN = "\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f"
CHINESE_ONLY = {"sqlite": f"name_key NOT GLOB '*[^{HAN}]*'", "postgresql": f"name_key ~ '^[{HAN}]+$'"}
FILL = """UPDATE customer SET given_name_key = CASE
    WHEN length(name_key) >= 3 AND substr(name_key, 1, 2) IN ({compound}) THEN substr(name_key, 3)
    ELSE substr(name_key, 2) END
 WHERE kind = 'individual' AND length(name_key) >= 2 AND {chinese_only}"""


def search_key(length: int) -> sa.String:
    """As `models.base.search_key` at this revision: bytewise-ordered text on both dialects."""
    return sa.String(length).with_variant(sa.String(length, collation='C'), 'postgresql')


def upgrade() -> None:
    op.add_column('customer', sa.Column('given_name_key', search_key(120), nullable=True))
    op.execute(FILL.format(compound=", ".join(f"'{surname}'" for surname in COMPOUND_SURNAMES),
                           chinese_only=CHINESE_ONLY[op.get_bind().dialect.name]))
    op.create_index('ix_customer_given_name_key', 'customer', ['given_name_key', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_customer_given_name_key', table_name='customer')
    op.drop_column('customer', 'given_name_key')
