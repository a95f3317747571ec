"""`make report`: a self-contained, offline HTML retention report over the marts."""
