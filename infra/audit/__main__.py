"""``python -m infra.audit audit --stack dev --out DIR``: the audit without the CLI hook."""

import sys

from infra.audit.run import main

sys.exit(main())
