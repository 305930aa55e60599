"""Use cases of the program, built on the store, the clock and a small Discord interface."""
