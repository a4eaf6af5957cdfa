"""Tests of quality maths: aggregation and agreement."""
