//! Reports of a run: the summary table and JUnit XML.
