from async_legacy import get_application

application = get_application()
