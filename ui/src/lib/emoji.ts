// The composer's emoji: a built-in set with names to search by, so the picker works on a LAN with no internet.

/** One emoji and the words that find it. */
export interface EmojiEntry {
  char: string;
  name: string;
}

/** A group of the picker. */
export interface EmojiGroup {
  label: string;
  emoji: readonly EmojiEntry[];
}

function group(label: string, list: string): EmojiGroup {
  const emoji = list
    .trim()
    .split('\n')
    .map((line) => {
      const [char, ...words] = line.trim().split(' ');
      return { char, name: words.join(' ') };
    });
  return { label, emoji };
}

export const EMOJI_GROUPS: readonly EmojiGroup[] = [
  group(
    'Smileys',
    `
😀 grinning face smile happy
😃 smiley big eyes happy
😄 smile laughing eyes
😁 beaming grin
😆 laughing squint
😅 sweat smile relief
🤣 rolling on the floor laughing rofl
😂 tears of joy laugh lol
🙂 slightly smiling
🙃 upside down
😉 wink
😊 blush smiling eyes
😇 halo innocent angel
🥰 smiling hearts love
😍 heart eyes love
🤩 star struck
😘 kiss blow
😋 yum tasty
😛 tongue
😜 winking tongue crazy
🤪 zany goofy
🤔 thinking hmm
🤨 raised eyebrow skeptical
😐 neutral
😑 expressionless
😶 no mouth speechless
🙄 eye roll
😏 smirk
😬 grimace awkward
😌 relieved
😔 pensive
😪 sleepy
😴 sleeping zzz
😷 mask sick
🤒 thermometer ill
🤯 mind blown exploding
🥳 party celebrate
😎 cool sunglasses
🤓 nerd glasses
😕 confused
😟 worried
😮 open mouth wow surprised
😲 astonished shocked
🥺 pleading puppy eyes
😢 crying sad tear
😭 sobbing loud cry
😱 scream fear
😤 triumph huff
😡 angry pout rage
🤬 cursing swearing
💀 skull dead
🤡 clown
👻 ghost boo
👽 alien
🤖 robot
`,
  ),
  group(
    'Gestures',
    `
👍 thumbs up yes like ok
👎 thumbs down no dislike
👌 ok hand perfect
✌️ victory peace
🤞 fingers crossed luck
🤙 call me shaka
👋 wave hello hi bye
👏 clap applause
🙌 raising hands hooray
🙏 folded hands please thanks pray
💪 flexed biceps strong
🤝 handshake deal
✋ raised hand stop
👉 pointing right
👈 pointing left
👆 pointing up
👇 pointing down
🫶 heart hands
👀 eyes look
🧠 brain smart
`,
  ),
  group(
    'Hearts',
    `
❤️ red heart love
🧡 orange heart
💛 yellow heart
💚 green heart
💙 blue heart
💜 purple heart
🖤 black heart
🤍 white heart
💔 broken heart
💕 two hearts
💯 hundred points perfect
✨ sparkles shiny
🔥 fire hot lit
⭐ star
🌟 glowing star
💥 collision boom
💤 zzz sleep
`,
  ),
  group(
    'Food and things',
    `
☕ coffee hot drink
🍵 tea
🍺 beer
🍻 cheers beers
🍷 wine
🥤 soda cup
🍕 pizza
🍔 burger hamburger
🍟 fries
🌮 taco
🍣 sushi
🍜 noodles ramen
🍰 cake
🎂 birthday cake
🍩 doughnut donut
🍪 cookie
🍿 popcorn
🍎 apple
🍉 watermelon
🎉 party popper tada celebrate
🎊 confetti
🎁 gift present
🎈 balloon
🏆 trophy win
🥇 gold medal first
🎮 video game controller
🎲 dice game
🎵 music note
🎧 headphones
📷 camera photo
💻 laptop computer
📱 phone mobile
🔌 plug power
🔋 battery
💡 light bulb idea
📌 pin
📎 paperclip attachment
🔗 link
🔒 locked
🔑 key
⏰ alarm clock
⌛ hourglass wait
🚀 rocket launch
🚗 car
🚲 bicycle
🏠 house home
🌈 rainbow
☀️ sun sunny
🌧️ rain
❄️ snowflake cold
🐶 dog
🐱 cat
🦊 fox
🐼 panda
🐸 frog
🦄 unicorn
`,
  ),
  group(
    'Symbols',
    `
✅ check mark done yes
☑️ ballot check
❌ cross no wrong
❓ question
❗ exclamation
⚠️ warning
🚫 prohibited no
➕ plus add
➖ minus
🆗 ok button
🆕 new
🔴 red circle
🟢 green circle
🔵 blue circle
⬆️ up arrow
⬇️ down arrow
➡️ right arrow
⬅️ left arrow
🔁 repeat
`,
  ),
];

/** Every emoji of the picker, in order. */
export const ALL_EMOJI: readonly EmojiEntry[] = EMOJI_GROUPS.flatMap((g) => g.emoji);

/** The emoji whose name has a word that starts with each word of `query` (all of them for an empty query). */
export function searchEmoji(query: string): EmojiEntry[] {
  const words = query.trim().toLocaleLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...ALL_EMOJI];
  return ALL_EMOJI.filter((e) => {
    const names = e.name.split(' ');
    return words.every((w) => names.some((n) => n.startsWith(w)));
  });
}
