"""The collect step: article files in the source folders -> Article and Rejection records.

scan (find the files) -> read (bounded read) -> frontmatter/plainyaml (YAML) -> article
(fields, cleaned) with dates and clean; stream runs it over many files, cached and in
worker processes, whose results travel as plain values (encoded); topicdefs reads the
topic definitions. Nothing here imports the cache, which is built on top of this step.
"""
