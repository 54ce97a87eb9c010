"""Purchase history: the sales the tills send, refunds, imports from other systems, the Purchase
History tab with its insights, Go Green receipts, and rule types for frequency-based groups."""
