import * as vscode from 'vscode';

const HISTORY_KEY = 'sparkEdit.instructionHistory';
const HISTORY_SIZE = 20;

/**
 * Asks for an instruction: type and press Enter, or pick a recent one.
 * Resolves undefined when dismissed.
 */
export async function askInstruction(memento: vscode.Memento, options: { title: string; prefill?: string }): Promise<string | undefined> {
  const history = memento.get<string[]>(HISTORY_KEY, []);
  const pick = vscode.window.createQuickPick();
  pick.title = options.title;
  pick.placeholder = 'Describe the edit, e.g. "add jsdoc", "rename total to sum", "wrap in try/catch"';
  pick.value = options.prefill ?? '';
  pick.items = history.map((label) => ({ label, description: 'recent' }));
  pick.matchOnDescription = false;
  pick.ignoreFocusOut = false;
  const answer = await new Promise<string | undefined>((resolve) => {
    pick.onDidAccept(() => {
      const typed = pick.value.trim();
      resolve(typed || pick.selectedItems[0]?.label);
      pick.hide();
    });
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (answer) await memento.update(HISTORY_KEY, [answer, ...history.filter((h) => h !== answer)].slice(0, HISTORY_SIZE));
  return answer;
}
