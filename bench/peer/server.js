'use strict';
// The peer of `make bench-peers`: what an Alexa developer would write with Amazon's Node.js SDK
// instead of this project (ask-sdk-core on Express through ask-sdk-express-adapter, per-user
// state in SQLite through better-sqlite3, Node's cluster module for one worker per core).
// It answers the benchmark's three requests with the same kind of work as the skill: read the
// user's attributes, build SSML with a reprompt and a card, keep the session open, and save the
// attributes on launch (disclaimer heard) and on "next" (the routine's step). Verification is
// off here, as it is for the skill in this comparison. Listens on 127.0.0.1 only.
const cluster = require('node:cluster');
const crypto = require('node:crypto');

const PORT = Number(process.env.PORT || 8091);
const WORKERS = Number(process.env.PEER_WORKERS || 2);
const DB_PATH = process.env.PEER_DB || 'peer.db';

const WELCOME = 'Welcome to Back Twitch Helper. I share general information, not medical advice. '
  + 'If you have sudden weakness, numbness, or trouble with your bladder or bowels, call 9 1 1 now. '
  + 'You can ask why your back is twitching, whether it is serious, or how to ease it. What would you like?';
const WELCOME_BACK = 'Welcome back. You can ask about causes, warning signs, or relief. What would you like?';
const CAUSES = {
  caffeine: 'Caffeine wakes up your nerves, and that can make small muscles fire on their own. '
    + 'Coffee, energy drinks and some teas all count. Cutting back slowly often calms the twitching within a week or two.',
  stress: 'Stress keeps your muscles a little tense all day. Tense muscles tire, and tired muscles twitch. '
    + 'Slow breathing, gentle stretching and good sleep usually help.',
};
const STEPS = [
  'Step 1. Stop what you are doing and sit or lie down comfortably.',
  'Step 2. Breathe in slowly for four counts, and out for six. <break time="2s"/> Again.',
  'Step 3. Gently stretch the area. Hold for twenty seconds. <break time="10s"/> And release.',
  'Step 4. Put a warm pack or a cold pack on the spot for fifteen minutes.',
  'Step 5. Drink a glass of water.',
  'Step 6. Rest, and notice whether the twitching settles.',
];

function userKey(envelope) {
  return crypto.createHash('sha256').update(envelope.context.System.user.userId).digest('hex');
}

class SqliteAttributes {
  // ask-sdk-core's PersistenceAdapter: one row per user, JSON attributes, WAL as the skill uses.
  constructor(path) {
    const Database = require('better-sqlite3');
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec('CREATE TABLE IF NOT EXISTS user_attributes '
      + '(user_key TEXT PRIMARY KEY, attributes TEXT NOT NULL, updated_at TEXT NOT NULL)');
    this.select = this.db.prepare('SELECT attributes FROM user_attributes WHERE user_key = ?');
    this.upsert = this.db.prepare('INSERT INTO user_attributes (user_key, attributes, updated_at) VALUES (?, ?, ?) '
      + 'ON CONFLICT(user_key) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at');
    this.remove = this.db.prepare('DELETE FROM user_attributes WHERE user_key = ?');
  }

  async getAttributes(envelope) {
    const row = this.select.get(userKey(envelope));
    return row ? JSON.parse(row.attributes) : {};
  }

  async saveAttributes(envelope, attributes) {
    this.upsert.run(userKey(envelope), JSON.stringify(attributes), new Date().toISOString());
  }

  async deleteAttributes(envelope) {
    this.remove.run(userKey(envelope));
  }
}

function answer(handlerInput, speech, reprompt, title, card) {
  const builder = handlerInput.responseBuilder.speak(speech).reprompt(reprompt);
  return (card ? builder.withSimpleCard(title, card) : builder).getResponse();
}

const Launch = {
  canHandle: (input) => input.requestEnvelope.request.type === 'LaunchRequest',
  async handle(input) {
    const attributes = await input.attributesManager.getPersistentAttributes();
    const speech = attributes.disclaimer_heard ? WELCOME_BACK : WELCOME;
    attributes.disclaimer_heard = true;
    input.attributesManager.setPersistentAttributes(attributes);
    await input.attributesManager.savePersistentAttributes();
    return answer(input, speech, 'What would you like to know?', null, null); // the skill's welcome has no card
  },
};

const Cause = {
  canHandle: (input) => input.requestEnvelope.request.type === 'IntentRequest'
    && input.requestEnvelope.request.intent.name === 'CauseIntent',
  async handle(input) {
    await input.attributesManager.getPersistentAttributes();
    const slot = (input.requestEnvelope.request.intent.slots || {}).cause || {};
    const authority = ((slot.resolutions || {}).resolutionsPerAuthority || [])[0] || {};
    const id = authority.status && authority.status.code === 'ER_SUCCESS_MATCH' ? authority.values[0].value.id : null;
    const text = CAUSES[id] || CAUSES.stress;
    input.attributesManager.setSessionAttributes({ pending: { kind: 'next_cause' } });
    return answer(input, `${text} Would you like to hear another cause?`, 'Another cause?', 'Causes', text);
  },
};

const Next = {
  canHandle: (input) => input.requestEnvelope.request.type === 'IntentRequest'
    && input.requestEnvelope.request.intent.name === 'AMAZON.NextIntent',
  async handle(input) {
    const attributes = await input.attributesManager.getPersistentAttributes();
    const step = ((attributes.routine && attributes.routine.step) || 0) % STEPS.length + 1;
    attributes.routine = { routine: 'relief', step, updated: new Date().toISOString() };
    input.attributesManager.setPersistentAttributes(attributes);
    await input.attributesManager.savePersistentAttributes();
    input.attributesManager.setSessionAttributes({ routine: attributes.routine });
    const text = STEPS[step - 1];
    return answer(input, `${text} Say next when you are ready.`, 'Say next, or stop.', `Step ${step} of 6`,
      text.replace(/<[^>]+>/g, ''));
  },
};

const Other = {
  canHandle: () => true,
  handle: (input) => answer(input, 'Sorry, I can help with back twitching. What would you like?',
    'What would you like?', 'Back Twitch Helper', 'Ask about causes, warning signs or relief.'),
};

function buildSkill() {
  const Alexa = require('ask-sdk-core');
  return Alexa.SkillBuilders.custom()
    .addRequestHandlers(Launch, Cause, Next, Other)
    .withPersistenceAdapter(new SqliteAttributes(DB_PATH))
    .create();
}

function serve() {
  const express = require('express');
  const { ExpressAdapter } = require('ask-sdk-express-adapter');
  const adapter = new ExpressAdapter(buildSkill(), false, false);
  const app = express();
  app.post('/alexa', adapter.getRequestHandlers());
  app.listen(PORT, '127.0.0.1');
}

module.exports = { buildSkill };

if (require.main !== module) {
  // required by cold_start.js: build only
} else if (cluster.isPrimary && WORKERS > 1) {
  for (let i = 0; i < WORKERS; i += 1) cluster.fork();
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers)) worker.kill('SIGTERM');
    process.exit(0);
  });
} else {
  serve();
}
