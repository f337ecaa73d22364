"""The render step: Selections -> output files (RSS 2.0 and Atom through feedgen, JSON Feed,
OPML, the directory page, a page per feed), with item HTML and enclosure probing.
"""
