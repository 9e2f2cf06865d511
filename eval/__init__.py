"""Eval suite: gold sets, metrics, runners for the product and baselines, XQuAD, reports."""
