import * as vscode from 'vscode';
import type { AttachmentSuggestion } from '../editor/attachments';

const HISTORY_KEY = 'sparkEdit.instructionHistory';
const HISTORY_SIZE = 20;

export interface AskOptions {
  readonly title: string;
  readonly prefill?: string;
  /** Every change of the instruction the box shows: the typed text, or the recent one highlighted while nothing is typed. */
  readonly onChange?: (text: string) => unknown;
  /** What the model will be shown besides the file, once known (the box adds it to its title). */
  readonly detail?: Promise<string | undefined>;
  /** Completions for a `#` word being typed (`#file:`, `#symbol:`, `#selection`, `#problems`). */
  readonly suggest?: (word: string) => Promise<readonly AttachmentSuggestion[]>;
}

type SuggestionItem = vscode.QuickPickItem & { readonly token: string };

/** The `#` word at the end of what is typed (`#fi`, `#file:src/m`), if the user is typing one. */
const hashWord = (value: string): string | undefined => /(?:^|\s)(#\S*)$/.exec(value)?.[1];

/** Whether a completion fits the `#` word typed: the same kind, and what follows the colon within it. */
function fits(token: string, word: string): boolean {
  const colon = word.indexOf(':');
  if (colon < 0) return token.startsWith(word);
  return token.startsWith(word.slice(0, colon + 1)) && token.slice(colon + 1).toLowerCase().includes(word.slice(colon + 1).toLowerCase());
}

/** The box's title once what the model will be shown is known. */
const titleWith = (title: string, detail: string | undefined): string => (detail ? `${title} (${detail})` : title);

/** Where instructions come from: the real box, or a script (integration tests cannot type into a QuickPick). */
export interface InstructionBox {
  /** Resolves with the instruction on Enter, undefined when dismissed (Escape, focus lost). */
  ask(options: AskOptions): Promise<string | undefined>;
}

/** The QuickPick: type and press Enter, or pick a recent instruction. */
export class QuickPickInstructionBox implements InstructionBox {
  constructor(private readonly memento: vscode.Memento) {}

  async ask(options: AskOptions): Promise<string | undefined> {
    const history = this.memento.get<string[]>(HISTORY_KEY, []);
    const pick = vscode.window.createQuickPick();
    pick.title = options.title;
    options.detail?.then(
      (detail) => {
        pick.title = titleWith(options.title, detail);
      },
      () => undefined,
    );
    pick.placeholder = 'Describe the edit, e.g. "add jsdoc", "rename total to sum", "wrap in try/catch"';
    pick.value = options.prefill ?? '';
    const recent: vscode.QuickPickItem[] = history.map((label) => ({ label, description: 'recent' }));
    pick.items = recent;
    pick.matchOnDescription = false;
    pick.ignoreFocusOut = false;
    let initialActive = true;
    const shown = (): string => pick.value.trim() || (initialActive ? '' : (pick.activeItems[0]?.label ?? ''));
    // While a `#` word is typed the list offers its completions (Enter takes one), and nothing is previewed.
    let suggestions: SuggestionItem[] | undefined;
    let handled: string | undefined;
    const valueChanged = (): void => {
      if (pick.value === handled) return;
      handled = pick.value;
      const word = hashWord(pick.value);
      if (word !== undefined && options.suggest) {
        // At once, the rows still shown that fit what is typed now (Enter never takes one for an older word); the rest when it comes.
        if (suggestions) {
          suggestions = suggestions.filter((item) => fits(item.token, word));
          pick.items = suggestions;
        }
        const asked = pick.value;
        options.suggest(word).then(
          (found) => {
            if (pick.value !== asked) return;
            suggestions = found.map((f) => ({ label: f.label, description: f.description, alwaysShow: true, token: f.token }));
            pick.items = suggestions;
          },
          () => undefined,
        );
        return;
      }
      if (suggestions) {
        suggestions = undefined;
        pick.items = recent;
      }
      options.onChange?.(shown());
    };
    const subscriptions = [
      pick.onDidChangeValue(valueChanged),
      pick.onDidChangeActive(() => {
        // Moving among completions previews nothing: the instruction is still being typed.
        if (suggestions) return;
        // The box highlights the newest recent instruction on opening; only moving to one (or typing) previews it.
        if (initialActive && pick.value === '' && pick.activeItems[0] === pick.items[0]) return;
        initialActive = false;
        options.onChange?.(shown());
      }),
    ];
    const answer = await new Promise<string | undefined>((resolve) => {
      subscriptions.push(
        pick.onDidAccept(() => {
          const picked = pick.activeItems[0];
          const word = hashWord(pick.value);
          if (suggestions && word !== undefined && picked && 'token' in picked) {
            // A completion, not the instruction: the token goes in, and the box stays open.
            const { token } = picked as SuggestionItem;
            pick.value = pick.value.slice(0, pick.value.length - word.length) + token + (token.endsWith(':') ? '' : ' ');
            valueChanged();
            return;
          }
          resolve(pick.value.trim() || pick.selectedItems[0]?.label || pick.activeItems[0]?.label);
          pick.hide();
        }),
        pick.onDidHide(() => resolve(undefined)),
      );
      pick.show();
    });
    for (const s of subscriptions) s.dispose();
    pick.dispose();
    if (answer) {
      // Not awaited: the edit starts at once; the history can be written after.
      this.memento.update(HISTORY_KEY, [answer, ...history.filter((h) => h !== answer)].slice(0, HISTORY_SIZE)).then(undefined, () => undefined);
    }
    return answer;
  }
}

/**
 * A box driven by a test: `type` is a change of its text, `enter` and
 * `escape` close it. Everything behind it (the live session, the runs, the
 * document) is the real thing.
 */
export class ScriptedInstructionBox implements InstructionBox {
  private current: { readonly options: AskOptions; readonly resolve: (answer: string | undefined) => void } | undefined;
  private text = '';
  private openedWaiters: (() => void)[] = [];

  ask(options: AskOptions): Promise<string | undefined> {
    this.current?.resolve(undefined);
    this.text = options.prefill ?? '';
    return new Promise((resolve) => {
      this.current = { options, resolve };
      for (const w of this.openedWaiters.splice(0)) w();
    });
  }

  /** The title the open box shows, with what was found of the context once the lookup is done. */
  async title(): Promise<string | undefined> {
    const options = this.current?.options;
    return options && titleWith(options.title, await options.detail);
  }

  /** Resolves once a command has opened the box. */
  whenOpen(): Promise<void> {
    return this.current ? Promise.resolve() : new Promise((resolve) => this.openedWaiters.push(resolve));
  }

  /** Resolves once whatever the change set off has been asked for (the live session's pause is over). */
  async type(text: string): Promise<void> {
    this.text = text;
    await this.current?.options.onChange?.(text);
  }

  enter(): void {
    this.close(this.text);
  }

  escape(): void {
    this.close(undefined);
  }

  private close(answer: string | undefined): void {
    const current = this.current;
    this.current = undefined;
    current?.resolve(answer);
  }
}
