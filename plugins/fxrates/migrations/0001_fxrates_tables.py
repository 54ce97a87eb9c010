"""fxrates tables: exchange rates (the shop's and customers' agreed ones) and the write lock

Revision ID: 0001_fxrates
Revises:
Create Date: 2026-11-24 03:34:51.641379

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0001_fxrates'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = ('fxrates',)
depends_on: Union[str, Sequence[str], None] = '0001_core'


def upgrade() -> None:
    """Upgrade schema."""
    lock = op.create_table('fxrates_write_lock',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.bulk_insert(lock, [{'name': 'rates'}])
    op.create_table('fxrates_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('quote', sa.String(length=3), nullable=False),
    # core.db.Rate: NUMERIC(20, 10), Decimal in Python.
    sa.Column('rate', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_fk', sa.Integer(), nullable=True),
    sa.Column('updated_by_fk', sa.Integer(), nullable=True),
    sa.CheckConstraint('base <> quote', name='ck_fxrates_rate_two_currencies'),
    sa.CheckConstraint('rate > 0', name='ck_fxrates_rate_positive'),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name='ck_fxrates_rate_period'),
    sa.ForeignKeyConstraint(['created_by_fk'], ['ab_user.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_fk'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_fxrates_rate_customer', 'fxrates_rate', ['customer_id'], unique=False)
    op.create_index('ix_fxrates_rate_pair', 'fxrates_rate',
                    ['base', 'quote', 'customer_id', 'valid_from'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_fxrates_rate_pair', table_name='fxrates_rate')
    op.drop_index('ix_fxrates_rate_customer', table_name='fxrates_rate')
    op.drop_table('fxrates_rate')
    op.drop_table('fxrates_write_lock')
