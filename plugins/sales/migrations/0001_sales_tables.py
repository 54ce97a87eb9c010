"""sales tables: sales and refunds, and their lines

Revision ID: 0001_sales
Revises:
Create Date: 2026-12-02 19:40:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0001_sales'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = ('sales',)
depends_on: Union[str, Sequence[str], None] = '0001_core'


def _money(name, **kw):
    # core.db.Money: NUMERIC(18, 4), Decimal in Python (a scaled integer on SQLite).
    return sa.Column(name, sa.Numeric(precision=18, scale=4), **kw)


def upgrade() -> None:
    op.create_table(
        'sales_sale',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('receipt_number', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('refund_of_id', sa.Integer(), nullable=True),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('sold_at', sa.DateTime(), nullable=False),
        sa.Column('location', sa.String(length=100), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('payment_type', sa.String(length=40), nullable=False),
        sa.Column('prices_include_tax', sa.Boolean(), nullable=False),
        _money('subtotal', nullable=False),
        _money('discount_total', nullable=False),
        _money('tax_total', nullable=False),
        _money('total', nullable=False),
        _money('item_count', nullable=False),
        sa.Column('source', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_fk', sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('sale', 'refund')", name='ck_sales_sale_kind'),
        sa.ForeignKeyConstraint(['refund_of_id'], ['sales_sale.id'], ondelete='SET NULL',
                                name='fk_sales_sale_refund_of'),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='SET NULL',
                                name='fk_sales_sale_customer'),
        sa.ForeignKeyConstraint(['created_by_fk'], ['ab_user.id'], ondelete='SET NULL',
                                name='fk_sales_sale_created_by'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('receipt_number'),
    )
    op.create_index('ix_sales_sale_customer_sold_at', 'sales_sale', ['customer_id', 'sold_at'])
    op.create_index('ix_sales_sale_sold_at', 'sales_sale', ['sold_at', 'customer_id'])
    op.create_index('ix_sales_sale_refund_of', 'sales_sale', ['refund_of_id'])
    op.create_table(
        'sales_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sale_id', sa.Integer(), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('sku', sa.String(length=64), nullable=False),
        sa.Column('product_name', sa.String(length=200), nullable=False),
        _money('quantity', nullable=False),
        _money('unit_price', nullable=False),
        _money('discount', nullable=False),
        _money('tax', nullable=False),
        _money('line_total', nullable=False),
        sa.ForeignKeyConstraint(['sale_id'], ['sales_sale.id'], ondelete='CASCADE',
                                name='fk_sales_line_sale'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_sales_line_sale', 'sales_line', ['sale_id', 'line_no'], unique=True)
    op.create_index('ix_sales_line_sku', 'sales_line', ['sku'])


def downgrade() -> None:
    op.drop_table('sales_line')
    op.drop_table('sales_sale')
