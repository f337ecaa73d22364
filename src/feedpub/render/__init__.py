"""The render step: Selections -> output files (RSS 2.0 and Atom through feedgen, JSON Feed,
OPML, the directory page), with item HTML and enclosure probing.
"""
