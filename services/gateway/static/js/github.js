// GitHub's setup callback values, kept in this tab's sessionStorage while the person signs in
// (the callback lands on /github/setup; signing in returns to the dashboard's root).
const SETUP = "devforge.github.setup";
export const SETUP_FIELDS = ["installation_id", "setup_action", "code", "state"];

export function savedSetup() {
  try {
    return JSON.parse(sessionStorage.getItem(SETUP) || "null");
  } catch {
    return null;
  }
}

export const saveSetup = (values) => sessionStorage.setItem(SETUP, JSON.stringify(values));
export const clearSetup = () => sessionStorage.removeItem(SETUP);
