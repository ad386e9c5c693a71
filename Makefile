# Two entry points for a fresh clone: `make demo` and `make test`.
# Both create .venv on first use and reinstall only when pyproject.toml changes.
# mypy reads its settings (files, plugins, per-module exceptions) from pyproject.toml [tool.mypy].
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/showcaller demo schedules/events/mekong-dialogue-2022.yaml

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n auto --dist loadfile --no-loadscope-reorder --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile

# Every benchmark, then one table of every judged figure (measured, target, verdict), saved as
# bench-run.json for `python bench/compare.py OLD.json bench-run.json`. A benchmark that fails
# does not stop the others; the table's exit status says whether everything passed.
BENCH_RESULTS ?= bench-results.jsonl
BENCH_RUN ?= bench-run.json
BENCHMARKS = $(filter-out bench/table.py bench/compare.py bench/fire_profile.py,$(wildcard bench/[!_]*.py))

bench: $(STAMP)
	rm -f $(BENCH_RESULTS)
	for b in $(BENCHMARKS); do echo "== $$b"; SHOWCALLER_BENCH_RESULTS=$(BENCH_RESULTS) $(BIN)/python $$b; done
	$(BIN)/python bench/table.py $(BENCH_RESULTS) --save $(BENCH_RUN)

# The container smoke tests (not part of `make test`: they need podman or docker and build the image):
# deploy/container-smoke.sh for one container, then with --compose for PostgreSQL, two instances and
# the balancer. SMOKE_ENGINE_SETUP names a script that prepares the engine and prints its environment
# (the shared development machines have one beside the clone); without it the installed engine is used.
SMOKE_ENGINE_SETUP ?= ../shared/tools/container-engine.sh

smoke:
	@if [ -f "$(SMOKE_ENGINE_SETUP)" ]; then \
		echo "== engine set-up: $(SMOKE_ENGINE_SETUP) --stand-ins"; \
		env=$$(bash "$(SMOKE_ENGINE_SETUP)" --stand-ins) || exit 3; eval "$$env"; \
	else \
		echo "== no engine set-up script ($(SMOKE_ENGINE_SETUP)): using podman or docker as installed"; \
	fi; \
	nice deploy/container-smoke.sh && nice deploy/container-smoke.sh --compose

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache showcaller.db bench-results.jsonl bench-run.json
