# Jiaoguan: `make demo` to try it, `make test` to check it.
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
export UV_LINK_MODE ?= copy

.PHONY: setup demo serve test test-fast lint bench clean

node_modules/.package-lock.json: package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

.venv/.synced: uv.lock pyproject.toml
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked
	touch .venv/.synced

setup: .venv/.synced node_modules/.package-lock.json

demo: setup
	$(UV) run jiaoguan demo

serve: setup
	$(UV) run jiaoguan serve

lint: setup
	$(UV) run ruff check src tests benchmarks
	$(UV) run ruff format --check src tests benchmarks
	$(UV) run mypy

test: lint
	$(UV) run pytest

bench: setup
	$(UV) run python -m benchmarks

clean:
	rm -rf var .venv node_modules .pytest_cache .mypy_cache .ruff_cache
