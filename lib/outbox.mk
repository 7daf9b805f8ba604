# lib/outbox.mk - the fallback outbox in the store, fallback policy (issue 5)
