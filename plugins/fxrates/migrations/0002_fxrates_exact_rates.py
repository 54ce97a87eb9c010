"""fxrates: exact rates on SQLite (the rate as a scaled integer, rate × 10^10)

core.db.Rate used to be NUMERIC(20, 10) everywhere, which SQLite keeps as an 8-byte float.
It is now stored on SQLite as the rate times 10^10 in a 64-bit INTEGER, exact to the last of
its ten decimal places. PostgreSQL's NUMERIC(20, 10) was exact already: nothing changes there.

Upgrading converts each stored float back to the decimal the shop typed (the shortest decimal
that gives the same float, which is that rate: the plugin only ever accepted rates of at most
15 significant digits, and a float keeps 15 digits exactly). A rate beyond what a 64-bit integer
holds at ten decimal places (over 922,337,203.6854775807) stops the upgrade with the rows named,
rather than being changed.

Downgrading turns the integers back into floats: rates of more than 15 significant digits,
which only the new schema can hold, lose their last digits there.

Revision ID: 0002_fxrates
Revises: 0001_fxrates
Create Date: 2026-11-24 06:40:00

"""
from decimal import Context, Decimal
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002_fxrates'
down_revision: Union[str, Sequence[str], None] = '0001_fxrates'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SCALE = 10
LARGEST_SCALED = 2**63 - 1
EXACT = Context(prec=60)

# The rate column without a SQLAlchemy type: values travel exactly as the driver has them.
rates = sa.table('fxrates_rate', sa.column('id', sa.Integer), sa.column('rate'))


def stored_decimal(stored) -> Decimal:
    """The decimal a rate stored by the old schema stands for (a float, or an int when whole)."""
    if isinstance(stored, float):
        # repr() is the shortest decimal that reads back as this float: the rate as typed.
        return Decimal(repr(stored))
    return Decimal(stored)


def upgrade() -> None:
    """Upgrade schema."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    scaled, too_large = {}, []
    for rate_id, stored in bind.execute(sa.select(rates.c.id, rates.c.rate)).all():
        value = stored_decimal(stored).quantize(Decimal(1).scaleb(-SCALE), context=EXACT)
        number = int(value.scaleb(SCALE, context=EXACT))
        if abs(number) > LARGEST_SCALED:
            too_large.append(f'{rate_id} ({value.normalize():f})')
        scaled[rate_id] = number
    if too_large:
        raise RuntimeError(
            'These exchange rates are too large to store exactly (at most 922,337,203.6854775807): '
            'id ' + ', '.join(too_large) + '. Change or delete them, then upgrade again.')
    # Write the integers first: the table copy below then carries them over unchanged.
    for rate_id, number in scaled.items():
        bind.execute(rates.update().where(rates.c.id == rate_id).values(rate=number))
    with op.batch_alter_table('fxrates_rate') as batch:
        batch.alter_column('rate', existing_type=sa.Numeric(precision=20, scale=10),
                           type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    with op.batch_alter_table('fxrates_rate') as batch:
        batch.alter_column('rate', existing_type=sa.BigInteger(),
                           type_=sa.Numeric(precision=20, scale=10), existing_nullable=False)
    for rate_id, number in bind.execute(sa.select(rates.c.id, rates.c.rate)).all():
        value = Decimal(number).scaleb(-SCALE, context=EXACT)
        # As decimal text: the NUMERIC column's affinity stores it as the REAL the old schema held.
        bind.execute(rates.update().where(rates.c.id == rate_id).values(rate=format(value, 'f')))
