"""Are two records one work? Features of a record, the evidence that weighs them, the index that
finds candidates without comparing every pair, and the two questions the commands ask of it.

Pure: no network, no files; plugin matchers come in as arguments.
"""
