"""The collect step: article files in the source folders -> Article and Rejection records.

scan (find the files) -> read (bounded read) -> frontmatter/plainyaml (YAML) -> article
(fields, cleaned) with dates and clean; stream runs it over many files, cached and in
worker processes; topicdefs reads the topic definitions.
"""
