/** The login page's text in both UI languages (kept beside the page: it stands alone). */
import type { Lang } from "../../i18n/context";

export interface LoginText {
  title: string;
  hint: string;
  token: string;
  submit: string;
  busy: string;
  invalid: string;
  unreachable: string;
}

const TEXT: Record<"en" | "zh", LoginText> = {
  en: {
    title: "Log in to the team server",
    hint: "Paste the token `runicorn server users add` printed for you (an admin can issue one).",
    token: "Token",
    submit: "Log in",
    busy: "Checking…",
    invalid: "This token is not valid: it was revoked or mistyped.",
    unreachable: "The server could not be reached.",
  },
  zh: {
    title: "登录团队服务器",
    hint: "粘贴 `runicorn server users add` 为你生成的令牌（可向管理员申请）。",
    token: "令牌",
    submit: "登录",
    busy: "正在验证…",
    invalid: "令牌无效：已被撤销或输入有误。",
    unreachable: "无法连接服务器。",
  },
};

export function loginText(lang: Lang): LoginText {
  return lang === "zh" ? TEXT.zh : TEXT.en;
}
