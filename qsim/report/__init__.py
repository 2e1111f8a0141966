"""The planner's report: one self-contained HTML page (and a PDF where Chromium is at hand) explaining a
comparison of intervention options, in English or German.

>>> from qsim.report import report_from_folder, write_report
>>> write_report(comparison, "report.html", lang="de")              # doctest: +SKIP
>>> report_from_folder("out/demo", "out/demo/report.html")          # doctest: +SKIP
"""

from __future__ import annotations

from .data import ReportError
from .html import SECTIONS, print_pdf, report_from_folder, write_report
from .labels import LANGUAGES

__all__ = ["LANGUAGES", "SECTIONS", "ReportError", "print_pdf", "report_from_folder", "write_report"]
