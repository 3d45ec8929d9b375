# Frontdesk: `make run` to talk to the assistant, `make test` to test it.
# Both build .venv (Python 3.10 + requirements.lock) when it is missing or stale.

SHELL := /bin/bash
BIN := .venv/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: help venv run chat train test test-unit test-conversations validate kb-check responses-check kb-tune rasa-test bench clean lock

help:  ## show this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

venv:  ## create .venv and install the locked dependencies (skipped when up to date)
	@scripts/ensure-venv.sh

run: venv  ## train if needed and start the assistant (Ctrl-C stops it)
	@$(BIN)/frontdesk run

chat: venv  ## chat with the running assistant in this terminal
	@$(BIN)/frontdesk chat

train: venv  ## train the Rasa model if config, domain or data changed
	@$(BIN)/frontdesk train

validate: venv  ## check domain, NLU data, rules and stories
	$(BIN)/rasa data validate --config config.yml --domain domain.yml --data data --fail-on-warnings

kb-check: venv  ## check every knowledge-base entry (path:line: message)
	$(BIN)/frontdesk kb check

responses-check: venv  ## check the responses catalogue, responses/*.yml (path:line: message)
	$(BIN)/frontdesk responses check

kb-tune: venv  ## fine-tune the sentence encoder for knowledge_base/ now (saved by content; a no-op when saved)
	$(BIN)/frontdesk kb tune

test-unit: venv  ## run pytest only (pass ARGS="-k name" to pick tests)
	$(BIN)/python -m pytest $(ARGS)

test-conversations: train kb-tune  ## play conversation files against the real assistant (CONVERSATIONS="a.yml b.yml")
	$(BIN)/frontdesk test-conversations $(CONVERSATIONS)

rasa-test: train  ## run Rasa's test stories against the trained model
	$(BIN)/rasa test --stories tests/ --model "$$($(BIN)/frontdesk train --path-only)" \
	  --fail-on-prediction-errors --out .state/results

test: validate kb-check responses-check train kb-tune test-unit test-conversations rasa-test  ## everything CI runs
	@echo "make test: all checks passed"

bench: venv  ## benchmark the running assistant over REST (see bench/README.md)
	$(BIN)/python bench/rest_load.py $(ARGS)

lock:  ## rewrite requirements.lock from the current .venv
	@(head -2 requirements.lock; $(BIN)/pip freeze --all --exclude-editable | grep -v -E '^(pip|wheel|frontdesk)==') > requirements.lock.new && mv requirements.lock.new requirements.lock

clean:  ## remove runtime state (models, databases, index); keeps .venv
	rm -rf .state .rasa results
