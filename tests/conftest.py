import os
os.environ.setdefault('CONDACLARID_QUIET', '1')
