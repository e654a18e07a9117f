from tests.support.cups import cups_pdf_queue, cups_queues, cups_server  # noqa: F401  (fixtures)
