"""The chapters' worked examples and test cases, one module per chapter id (`autograder.cases.<id>`); `common` holds
what they share."""
