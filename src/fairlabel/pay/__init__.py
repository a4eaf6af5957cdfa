"""Pay: floors, the ledger, earning and approval, payouts and earnings (see ledger.py for
the accounts)."""
