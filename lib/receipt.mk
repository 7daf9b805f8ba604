# lib/receipt.mk - provider delivery receipts: store side and receiver (issue 5)
