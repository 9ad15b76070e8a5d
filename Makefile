# Meldestelle: `make run` serves the demo, `make test` runs the whole suite.
PY := .venv/bin/python
PIP := .venv/bin/pip
STAMP := .venv/.installed

.PHONY: run test lint audit bench install static clean-db messages privacy-docs seal-hash

$(STAMP): pyproject.toml
	python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet ".[dev]"
	touch $(STAMP)

node_modules/.installed: package.json
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --silent; else npm install --no-audit --no-fund --silent; fi
	touch node_modules/.installed

# The browser's encryption module (SPEC §3.10), bundled from the pinned npm packages at set-up;
# static_build/ is git-ignored and served same-origin as /static/bundle/.
# Entry points are the modules a page loads; formats.js is shared by them.
BUNDLES := static_build/bundle/seal.js
static_build/bundle/%.js: static_src/%.js $(wildcard static_src/*.js) node_modules/.installed
	node_modules/.bin/esbuild $< --bundle --minify --format=iife --target=es2020 \
	  --legal-comments=eof --log-level=warning --outfile=$@

install: $(STAMP) node_modules/.installed $(BUNDLES)

# The published hashes of the browser's encryption modules (docs/deployment.md): SHA-256 and the
# Subresource Integrity value the report form sends with the script.
seal-hash: install
	@$(PY) manage.py seal_hash

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py load_demo
	@echo ""
	@echo "Meldestelle runs on http://127.0.0.1:8000/  (staff: http://127.0.0.1:8000/staff/)"
	@echo "Task cluster started in the background; Ctrl-C stops both."
	@trap 'kill 0' INT TERM EXIT; \
	  $(PY) manage.py qcluster & \
	  $(PY) manage.py runserver 127.0.0.1:8000

lint: $(STAMP)
	.venv/bin/ruff check .
	.venv/bin/mypy reporting counselling stats meldestelle privacy

test: install
	.venv/bin/ruff check .
	$(PY) -m pytest -n 2

# Known vulnerabilities in the installed dependencies fail; an unreachable service only warns.
audit: $(STAMP)
	$(PY) .ci/audit.py

bench: install
	$(PY) benchmarks/run.py

# The privacy documents (docs/privacy/) from the data inventory in privacy/; `make test` fails
# when the committed files differ from what this writes.
privacy-docs: $(STAMP)
	$(PY) manage.py privacy_docs

messages: $(STAMP)
	$(PY) manage.py makemessages -a --no-obsolete -i ".venv/*" -i "node_modules/*" -i "tests/*" -i "benchmarks/*"
	$(PY) manage.py compilemessages -i ".venv" -i "node_modules"
