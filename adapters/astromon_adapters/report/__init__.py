"""The report renderer: matplotlib figures and jinja2 pages (templates/)."""
