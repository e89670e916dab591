"""Demo territories (:mod:`etl.demo.spec`) with synthetic partner exports, clearly marked as such."""
