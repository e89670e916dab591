"""The demo territory (Mons-en-Barœul) with synthetic partner exports, clearly marked as such."""
