"""Due buckets: every entry of a bucket is due when its slot begins, so no worker waits
inside one; a delivery due now goes in the current slot."""

from datetime import timedelta

from partners.webhooks import due
from schema.kernel.time import utcnow


def test_a_delivery_due_later_goes_in_the_first_slot_starting_at_or_after_its_time() -> None:
    now = utcnow()
    assert due.due_slot(now - timedelta(hours=1)) == due.slot_of(utcnow())
    later = now + timedelta(seconds=30, milliseconds=250)
    assert due.due_slot(later) == due.slot_of(later) + due.SLOT
    exact = due.slot_of(now + timedelta(seconds=10))
    assert due.due_slot(exact) == exact
    assert due.due_slot(later) >= later


def test_entries_name_the_delivery_its_generation_and_when_they_were_listed() -> None:
    before = utcnow()
    delivery_id, generation, listed_at = due.parse_entry(due.entry("whd:evt_1:whk_2", 7))
    assert (delivery_id, generation) == ("whd:evt_1:whk_2", 7)
    assert before - timedelta(milliseconds=1) <= listed_at <= utcnow()
