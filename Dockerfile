# The app image: the gateway (`python -m bot serve`, the default command) and the
# action server (`python -m rasa_sdk --actions actions`) run from it with different
# commands; see docker-compose.yml. The Rasa servers use the official rasa/rasa image.
#
# Python 3.10, like both virtual environments of `make install`: requirements/app.txt
# is pinned on 3.10 (scripts/lock) and holds backports that refuse to install on 3.11.
FROM python:3.10-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them.
COPY requirements/app.txt requirements/app.txt
RUN pip install --no-cache-dir -r requirements/app.txt

# The code and the files the gateway reads at run time: the domain (its own replies),
# data/nlu (the language detector learns from it) and the Rasa configuration files.
# Owned by root and read-only for the app user; only var/ is writable.
COPY bot/ bot/
COPY actions/ actions/
COPY domain/ domain/
COPY data/nlu/ data/nlu/
COPY config.yml endpoints.yml credentials.yml ./

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /app/var \
    && chown app:app /app/var

# No secrets here: docker-compose.yml passes them from the operator's environment.
ENV DATA_DIR=/app/var \
    HOST=0.0.0.0 \
    PORT=8000

USER app

EXPOSE 8000 5055

CMD ["python", "-m", "bot", "serve"]
