#!/usr/bin/env bash
# Does masked-LM pretraining help? Two runs alike in everything (data, seed, 1,500 fine-tuning
# steps, the same dev documents) but for 1,000 MLM steps on the training windows before the
# second's fine-tuning. Compare the dev entity F1 in runs/mlm_off/log.jsonl and runs/mlm_on/log.jsonl.
# About 35 minutes on one core; needs data/synth_stage3 (see reproduce.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=PASSIVE
common=(data.train_dir=data/synth_stage3 train.max_documents=2000 train.max_steps=1500 train.eval_every=500
        train.patience=10 train.threads=1 train.warmup_steps=150 train.dev_windows=1500)
.venv/bin/python -m training.train training/configs/default.toml "${common[@]}" \
    train.run_dir=runs/mlm_off train.out_dir=runs/mlm_off/model
.venv/bin/python -m training.train training/configs/default.toml "${common[@]}" train.pretrain_steps=1000 \
    train.run_dir=runs/mlm_on train.out_dir=runs/mlm_on/model
grep -h '"eval"' runs/mlm_off/log.jsonl runs/mlm_on/log.jsonl
