"""Known mistakes, one module per chapter: MUTANTS maps a name to (hidden test grade_id, {cell grade_id: source})."""
