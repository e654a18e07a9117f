from tests.support.cups import cups_pdf_queue  # noqa: F401  (session fixture)
