"""The audit log: who did what to which record, when, with the record before and after."""
